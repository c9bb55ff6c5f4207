// The npm packages of scripts/ccaas/package-lock.json, installed by scripts/install-tools.sh
// into .tools/ccaas (FABCHART_CCAAS_MODULES may name another folder holding node_modules/).
'use strict';
const path = require('node:path');
const { createRequire } = require('node:module');

const base = path.resolve(process.env.FABCHART_CCAAS_MODULES || path.join(__dirname, '..', '..', '.tools', 'ccaas'));
module.exports = createRequire(path.join(base, 'package.json'));
module.exports.base = base;
