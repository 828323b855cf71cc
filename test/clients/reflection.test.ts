import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  credentials,
  loadPackageDefinition,
  makeGenericClientConstructor,
  type Client,
  type ClientDuplexStream,
  type GrpcObject,
  type ServiceClientConstructor,
  type ServiceError,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
// protobufjs (proto-loader's own dependency) decodes the descriptors the way grpcurl does with Go's.
import { Root, type Type } from "protobufjs";
import * as descriptor from "protobufjs/ext/descriptor";
import { makeFile } from "../support/files";
import { trackSuiteResources } from "../support/no-leaks";
import { startTestServer, type TestServer } from "../support/test-server";

const FILE = makeFile(50_001, 12_345);
const SERVICE = "delineate.v1.DownloadService";

/** The reflection proto that @grpc/reflection ships (this file runs from dist/test/clients). */
const REFLECTION_PROTO = path.resolve(
  __dirname,
  "../../../node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto",
);

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** A grpc.reflection.v1 client that asks one question at a time on one ServerReflectionInfo stream. */
class ReflectionClient {
  private readonly client: Client & {
    ServerReflectionInfo(): ClientDuplexStream<object, ReflectionResponse>;
  };
  private readonly stream: ClientDuplexStream<object, ReflectionResponse>;
  private readonly waiting: ((r: ReflectionResponse) => void)[] = [];

  constructor(address: string) {
    const definition = loadSync(REFLECTION_PROTO, { oneofs: true });
    const grpcObject = loadPackageDefinition(definition);
    const reflection = ((grpcObject.grpc as GrpcObject).reflection as GrpcObject).v1 as GrpcObject;
    const Constructor = reflection.ServerReflection as ServiceClientConstructor;
    this.client = new Constructor(address, credentials.createInsecure()) as unknown as typeof this.client;
    this.stream = this.client.ServerReflectionInfo();
    this.stream.on("data", (response: ReflectionResponse) => this.waiting.shift()?.(response));
    this.stream.on("error", () => undefined);
  }

  ask(request: object): Promise<ReflectionResponse> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.stream.write(request);
    });
  }

  close(): void {
    this.stream.end();
    this.client.close();
  }
}

describe("server reflection serves the full descriptor", () => {
  const resources = trackSuiteResources();
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ files: [FILE] });
  });
  after(async () => {
    await server.close();
    await resources.assertClean();
  });

  it("resolves DownloadService by reflection and calls CheckFile dynamically", async () => {
    const reflection = new ReflectionClient(server.address);
    let dynamic: Client | undefined;
    try {
      const listed = await reflection.ask({ listServices: "" });
      const names = listed.listServicesResponse?.service.map((s) => s.name) ?? [];
      assert.ok(names.includes(SERVICE), names.join(", "));
      assert.ok(names.includes("grpc.health.v1.Health"), names.join(", "));

      // The file defining the service, then whatever it imports that did not come with it.
      const files = new Map<string, descriptor.IFileDescriptorProto>();
      const queue: object[] = [{ fileContainingSymbol: SERVICE }];
      while (queue.length > 0) {
        const answer = await reflection.ask(queue.shift()!);
        assert.equal(answer.errorResponse, undefined, answer.errorResponse?.errorMessage);
        for (const bytes of answer.fileDescriptorResponse?.fileDescriptorProto ?? []) {
          const file = descriptor.FileDescriptorProto.decode(
            bytes,
          ) as unknown as descriptor.IFileDescriptorProto;
          files.set(file.name!, file);
          for (const dependency of (file.dependency ?? []) as string[])
            if (!files.has(dependency)) queue.push({ fileByFilename: dependency });
        }
      }
      // @grpc/reflection names files after their package (delineate_v1.proto); what counts is that the
      // service's file and its import (google.protobuf.Duration) both come back.
      const packages = [...files.values()].map((f) => f.package).sort();
      assert.deepEqual(packages, ["delineate.v1", "google.protobuf"]);

      // ext/descriptor adds Root.fromDescriptor at run time; its typings do not declare it.
      const root = (Root as unknown as { fromDescriptor(set: object): Root }).fromDescriptor({
        file: [...files.values()],
      });
      const service = root.lookupService(SERVICE);
      assert.deepEqual(Object.keys(service.methods).sort(), ["CheckFile", "Download", "PrepareFiles"]);
      assert.equal(service.methods.Download!.responseStream, true);
      const fields = root.lookupType("delineate.v1.DownloadRequest").fieldsArray.map((f) => [f.id, f.name]);
      assert.deepEqual(fields, [
        [1, "file_id"],
        [2, "read_offset"],
        [3, "read_limit"],
        [4, "chunk_size_bytes"],
        [5, "if_sha256"],
      ]);

      const checkFile = service.methods.CheckFile!;
      const requestType = root.lookupType(checkFile.requestType);
      const responseType = root.lookupType(checkFile.responseType);
      const Dynamic = makeGenericClientConstructor(
        {
          CheckFile: {
            path: `/${SERVICE}/CheckFile`,
            requestStream: false,
            responseStream: false,
            requestSerialize: (value: object) =>
              Buffer.from(requestType.encode(requestType.fromObject(value)).finish()),
            requestDeserialize: (bytes: Buffer) => requestType.decode(bytes),
            responseSerialize: () => Buffer.alloc(0),
            responseDeserialize: (bytes: Buffer) => toPlain(responseType, bytes),
          },
        },
        SERVICE,
      );
      const client = new Dynamic(server.address, credentials.createInsecure());
      dynamic = client;
      const answer = await new Promise<Record<string, unknown>>((resolve, reject) =>
        (
          client as unknown as {
            CheckFile(r: object, cb: (e: ServiceError | null, v: Record<string, unknown>) => void): void;
          }
        ).CheckFile({ file_id: FILE.fileId }, (error, value) => (error ? reject(error) : resolve(value))),
      );
      assert.equal(answer.file_id, FILE.fileId);
      assert.equal(answer.available, true);
      assert.equal(answer.size_bytes, FILE.bytes.length);
    } finally {
      reflection.close();
      dynamic?.close();
    }
  });
});

function toPlain(type: Type, bytes: Buffer): Record<string, unknown> {
  return type.toObject(type.decode(bytes), { longs: Number, defaults: true });
}
