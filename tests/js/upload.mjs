// Uploads a file to a blob SAS URL with the npm @azure/storage-blob SDK, as the Azure DevOps task does.
// Usage: node upload.mjs <sas-url> <file> single|blocks   -> prints {"etag": ..., "size": ...}
import { BlockBlobClient } from "@azure/storage-blob";

const [url, file, mode] = process.argv.slice(2);
const client = new BlockBlobClient(url);
const options =
  mode === "blocks" ? { blockSize: 64 * 1024, maxSingleShotSize: 64 * 1024, concurrency: 3 } : { concurrency: 5 };
try {
  const result = await client.uploadFile(file, options);
  const properties = await client.getProperties();
  console.log(JSON.stringify({ etag: result.etag, size: properties.contentLength }));
} catch (error) {
  console.error(`${error.statusCode ?? ""} ${error.code ?? ""} ${error.message}`);
  process.exit(1);
}
