// A contract for `fabric-chaincode-node server` (fabric-contract-api resolves through
// NODE_PATH=.tools/ccaas/node_modules, set by the test that starts it).
'use strict';
const { Contract } = require('fabric-contract-api');

class Probe extends Contract {
  async Ping() {
    return 'pong';
  }
}

module.exports.contracts = [Probe];
