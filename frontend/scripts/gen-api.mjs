// Regenerates src/api/schema.d.ts from the API's OpenAPI document.
// Fields with a default (pydantic) stay optional in request bodies: --default-non-nullable false.
//   npm run gen:api                       -> asks the project's Python for the document (no server needed)
//   npm run gen:api -- http://localhost:8000/api/openapi.json   -> reads it from a running server
import { execFileSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const out = resolve(here, "..", "src", "api", "schema.d.ts");
let source = process.argv[2];
if (!source) {
  const python = join(root, ".venv", "bin", "python");
  const doc = execFileSync(python, ["-c", "import app; from chalicelib import openapi; print(openapi.document_json(app.app))"],
    { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  source = join(mkdtempSync(join(tmpdir(), "openapi-")), "openapi.json");
  writeFileSync(source, doc);
}
execFileSync(join(here, "..", "node_modules", ".bin", "openapi-typescript"), [source, "-o", out, "--default-non-nullable", "false"], { stdio: "inherit" });
