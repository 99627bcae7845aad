// Validate a CycloneDX document against the official 1.6 JSON schema as
// shipped by @cyclonedx/cyclonedx-library (strict: no unknown properties).
// Prints "0 errors" and exits 0, or prints the errors and exits 1.
import fs from 'node:fs';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';

const v = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
const errors = await v.validate(fs.readFileSync(process.argv[2], 'utf8'));
if (errors === null) {
  console.log(`${process.argv[2]}: valid CycloneDX 1.6, 0 errors`);
  process.exit(0);
}
console.log(JSON.stringify(errors, null, 1));
process.exit(1);
