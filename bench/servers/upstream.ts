/**
 * The benchmark's upstream double: an OpenAI-compatible endpoint that answers at once with a
 * fixed completion, so what is measured is the gateway, not a model. Prints its URL.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveHealth } from './health.ts';

const answer = JSON.stringify({
  id: 'bench',
  object: 'chat.completion',
  created: 0,
  model: 'bench',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content:
          'Refunds are paid within fourteen days of receiving the returned item. Customers keep the receipt and write to the support desk if the refund has not arrived after that time. Exchanges follow the same rules.',
      },
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 60, completion_tokens: 40, total_tokens: 100 },
});

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(answer);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${String(port)}/v1` })}\n`);
});
const health = serveHealth(process.stdin, process.stdout);
process.on('SIGTERM', () => {
  health.stop();
  process.stdin.destroy();
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
