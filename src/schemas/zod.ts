// Zod for every schema, set never to compile a schema with `new Function`: the site's Content-Security-Policy
// refuses eval, and Zod's probe for it would be reported as a violation on every page that checks data.
import { z } from 'astro/zod';

z.config({ jitless: true });

export { z };
