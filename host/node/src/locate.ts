// Where the package is installed. The CommonJS build replaces this module with one based on
// `__dirname` (scripts/build.mjs), since `import.meta` has no CommonJS form.
import { fileURLToPath } from 'node:url';

// @ts-ignore -- import.meta is only valid in the ES module build, which is the one type-checked.
export const packageRoot: string = fileURLToPath(new URL('../..', import.meta.url));
