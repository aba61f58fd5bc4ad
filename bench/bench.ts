// `npm run bench`: the labs headless in Node through Dawn (bench/main.ts has the options).
import { main } from './main';

// Dawn's addon keeps Node alive while it is loaded: exit explicitly once the results are out.
process.exit(await main(process.argv.slice(2)));
