// Prints what the pinned npm dotenv package returns, so that the Go tests can
// compare Parse with it. Each result is the list of [name, value] entries in
// the order of the object dotenv.parse returns.
//
//   node parse.js            reads a JSON array of file names from stdin and
//                            prints {version, results} once: one node process
//                            for any number of files.
//   node parse.js --lines    reads one base64 file content per line and
//                            answers each with one JSON line, for FuzzNPM.
'use strict'
const fs = require('fs')
const readline = require('readline')
const dotenv = require('dotenv')

const entries = (buf) => Object.entries(dotenv.parse(buf))

if (process.argv[2] === '--lines') {
  const rl = readline.createInterface({ input: process.stdin })
  rl.on('line', (line) => {
    process.stdout.write(JSON.stringify(entries(Buffer.from(line, 'base64'))) + '\n')
  })
} else {
  const files = JSON.parse(fs.readFileSync(0, 'utf8'))
  process.stdout.write(JSON.stringify({
    version: require('dotenv/package.json').version,
    results: files.map((file) => entries(fs.readFileSync(file)))
  }))
}
