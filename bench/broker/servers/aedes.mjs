// Aedes for the broker benchmark, as its README starts it: aedes + net.createServer(aedes.handle).
//   node servers/aedes.mjs <port>
import net from 'node:net';
import process from 'node:process';
import { Aedes } from 'aedes';

const port = Number(process.argv[2]);
const aedes = await Aedes.createBroker();
const server = net.createServer(aedes.handle);
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
