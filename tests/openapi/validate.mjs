// validate.mjs SPEC.json [ANSWERS.json]: SPEC must be a valid OpenAPI 3.1
// document (@seriousme/openapi-schema-validator, the OpenAPI Initiative's
// 3.1 schema); each answer of ANSWERS ([{"where": "GET /api/v1/users ->
// 200", "schema": "UserList", "body": {...}}]) must match the named schema
// of SPEC's components (Ajv, JSON Schema 2020-12, as OpenAPI 3.1 says).
// Prints one line per problem; exit status 1 when there is any.
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";

const [specPath, answersPath] = process.argv.slice(2);
if (!specPath) {
  console.error("usage: node validate.mjs SPEC.json [ANSWERS.json]");
  process.exit(2);
}
const spec = JSON.parse(readFileSync(specPath, "utf8"));
let problems = 0;

const res = await new Validator().validate(spec);
if (!res.valid) {
  problems++;
  console.log("not a valid OpenAPI " + spec.openapi + " document:");
  console.log(JSON.stringify(res.errors, null, 2));
}
if (res.valid && spec.openapi !== "3.1.0") {
  problems++;
  console.log("openapi is " + spec.openapi + ", not 3.1.0");
}

if (answersPath) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(spec, "spec.json");
  const answers = JSON.parse(readFileSync(answersPath, "utf8"));
  for (const a of answers) {
    const check = ajv.getSchema("spec.json#/components/schemas/" + a.schema);
    if (!check) {
      problems++;
      console.log(`${a.where}: no schema ${a.schema}`);
    } else if (!check(a.body)) {
      problems++;
      console.log(`${a.where}: the answer does not match ${a.schema}: ` +
        ajv.errorsText(check.errors) + "\n  " + JSON.stringify(a.body).slice(0, 600));
    }
  }
  console.log(`# ${answers.length} answers checked`);
}
process.exit(problems ? 1 : 0);
