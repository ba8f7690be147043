// Stages blocks, reads the block list, commits, reads it again, with the npm @azure/storage-blob SDK.
// Usage: node blocklist.mjs <sas-url>   -> prints {"staged": [...], "committed": [...], "size": n}
import { BlockBlobClient } from "@azure/storage-blob";

const client = new BlockBlobClient(process.argv[2]);
const ids = ["block-0", "block-1"].map((id) => Buffer.from(id).toString("base64"));
const names = (blocks) => (blocks ?? []).map((block) => [block.name, block.size]);
try {
  await client.stageBlock(ids[0], Buffer.from("hello "), 6);
  await client.stageBlock(ids[1], Buffer.from("world"), 5);
  const staged = await client.getBlockList("uncommitted");
  await client.commitBlockList(ids);
  const committed = await client.getBlockList("all");
  console.log(
    JSON.stringify({
      staged: names(staged.uncommittedBlocks),
      committed: names(committed.committedBlocks),
      uncommittedAfter: names(committed.uncommittedBlocks),
      size: committed.blobContentLength,
    }),
  );
} catch (error) {
  console.error(`${error.statusCode ?? ""} ${error.code ?? ""} ${error.message}`);
  process.exit(1);
}
