// `npm run bench` and `npm run tune` (its first argument `tune`): the labs, or one family's sweep, headless in Node
// through Dawn (bench/main.ts and bench/tune.ts have the options).
import { main } from './main';
import { tune } from './tune';

const [first, ...rest] = process.argv.slice(2);
// Dawn's addon keeps Node alive while it is loaded: exit explicitly once the results are out.
process.exit(first === 'tune' ? await tune(rest) : await main(process.argv.slice(2)));
