// node scripts/ccaas/versions.js: the versions of the installed shim, contract API, Gateway
// client and gRPC (install-tools.sh checks them).
'use strict';
const need = require('./modules');

const v = (name) => need(`${name}/package.json`).version;
console.log(`fabric-shim ${v('fabric-shim')}, fabric-contract-api ${v('fabric-contract-api')}, ` +
  `fabric-gateway ${v('@hyperledger/fabric-gateway')}, grpc-js ${v('@grpc/grpc-js')}`);
