/** Object keys, built only from validated integer ids (never from caller text). */
export function fileKey(fileId: number): string {
  return `downloads/${assertId(fileId)}.zip`;
}

export function preparedRecordKey(fileId: number): string {
  return `prepared/${assertId(fileId)}.json`;
}

function assertId(fileId: number): number {
  if (!Number.isSafeInteger(fileId) || fileId < 0) throw new RangeError(`not a file id: ${fileId}`);
  return fileId;
}
