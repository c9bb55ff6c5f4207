// node scripts/ccaas/dial.js HOST:PORT CONNECTION_JSON [--no-client-cert | --client CERT KEY]
//
// Dials a chaincode server as a Fabric peer does with a CCaaS package's connection.json:
// TLS verified against its root_cert for the host name of its `address` (the connection
// goes to HOST:PORT), the client certificate and key it holds (or none, or another pair),
// then opens the Chaincode/Connect stream and waits for the server's first message, which
// a Fabric chaincode sends on connecting: REGISTER with its chaincode ID (the package ID).
// Prints one JSON line: {"ok":true,"type":"REGISTER","chaincodeId":...} or
// {"ok":false,"code":<gRPC status>,"details":...}; exit 0 either way, 2 on bad arguments.
'use strict';
const fs = require('node:fs');
const need = require('./modules');
const grpc = need('@grpc/grpc-js');
const { peer } = need('@hyperledger/fabric-protos');

const [target, connFile, mode, certFile, keyFile] = process.argv.slice(2);
if (!target || !connFile) {
  console.error('usage: dial.js HOST:PORT CONNECTION_JSON [--no-client-cert | --client CERT KEY]');
  process.exit(2);
}
const conn = JSON.parse(fs.readFileSync(connFile, 'utf8'));
const host = conn.address.replace(/:\d+$/, '');
const root = Buffer.from(conn.root_cert);
let creds;
if (mode === '--no-client-cert') {
  creds = grpc.credentials.createSsl(root);
} else if (mode === '--client') {
  creds = grpc.credentials.createSsl(root, fs.readFileSync(keyFile), fs.readFileSync(certFile));
} else {
  creds = grpc.credentials.createSsl(root, Buffer.from(conn.client_key), Buffer.from(conn.client_cert));
}
const client = new peer.ChaincodeClient(target, creds, { 'grpc.ssl_target_name_override': host, 'grpc.default_authority': host });
// A bound on a hang only: every outcome the tests check arrives at once.
const call = client.connect({ deadline: Date.now() + 30000 });
let done = false;
const finish = (result) => {
  if (done) return;
  done = true;
  console.log(JSON.stringify(result));
  call.cancel();
  client.close();
};
call.on('data', (msg) => {
  const type = Object.keys(peer.ChaincodeMessage.Type).find((k) => peer.ChaincodeMessage.Type[k] === msg.getType());
  const id = peer.ChaincodeID.deserializeBinary(msg.getPayload_asU8()).getName();
  finish({ ok: true, type, chaincodeId: id });
});
call.on('error', (e) => finish({ ok: false, code: e.code, details: e.details }));
call.on('end', () => finish({ ok: false, code: null, details: 'the stream ended without a message' }));
