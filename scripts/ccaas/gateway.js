// node scripts/ccaas/gateway.js GATEWAY_JSON IDENTITIES_JSON USER CHANNEL CHAINCODE
//
// Connects the official Fabric Gateway client (@hyperledger/fabric-gateway) as fabric-samples'
// application-gateway apps do, from fabchart's gateway settings and an identity of the
// org's identities file, and evaluates a transaction. Prints one JSON line:
// {"stage":"evaluate","ok":false,"name":...,"code":<gRPC status>,"message":...} when the
// call fails, {"stage":"config",...} when building the connection itself failed (a
// configuration error), {"ok":true,...} if a peer answered.
'use strict';
const fs = require('node:fs');
const crypto = require('node:crypto');
const need = require('./modules');
const grpc = need('@grpc/grpc-js');
const { connect, signers } = need('@hyperledger/fabric-gateway');

const [gwFile, idFile, user, channel, chaincode] = process.argv.slice(2);
if (!chaincode) {
  console.error('usage: gateway.js GATEWAY_JSON IDENTITIES_JSON USER CHANNEL CHAINCODE');
  process.exit(2);
}

async function main() {
  let gateway;
  let client;
  try {
    const gw = JSON.parse(fs.readFileSync(gwFile, 'utf8'));
    const id = JSON.parse(fs.readFileSync(idFile, 'utf8'))[user];
    if (!id) throw new Error(`no identity ${user} in ${idFile}`);
    const tls = grpc.credentials.createSsl(Buffer.from(gw.tlsRootCert));
    client = new grpc.Client(gw.endpoint, tls, { 'grpc.ssl_target_name_override': gw.hostNameOverride });
    gateway = connect({
      client,
      identity: { mspId: id.mspId, credentials: Buffer.from(id.credentials.certificate) },
      signer: signers.newPrivateKeySigner(crypto.createPrivateKey(id.credentials.privateKey)),
      evaluateOptions: () => ({ deadline: Date.now() + 30000 }),
    });
  } catch (e) {
    console.log(JSON.stringify({ stage: 'config', ok: false, name: e.name, message: e.message }));
    return;
  }
  try {
    const result = await gateway.getNetwork(channel).getContract(chaincode).evaluateTransaction('GetAllAssets');
    console.log(JSON.stringify({ stage: 'evaluate', ok: true, result: Buffer.from(result).toString() }));
  } catch (e) {
    console.log(JSON.stringify({ stage: 'evaluate', ok: false, name: e.name, code: e.code, message: e.message }));
  } finally {
    gateway.close();
    client.close();
  }
}
main();
