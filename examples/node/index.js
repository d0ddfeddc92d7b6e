// A stand-in for a real app: it reads its configuration from process.env,
// exactly as it would with a plaintext .env loaded by dotenv — except that
// here `envsafe run -- npm start` put the values there, decrypted in memory.
const required = ['DATABASE_URL', 'API_KEY'];
const missing = required.filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.error(`missing configuration: ${missing.join(', ')} (start me with: envsafe run -- npm start)`);
  process.exit(1);
}

const db = new URL(process.env.DATABASE_URL);
const key = process.env.API_KEY;
console.log(`connecting to ${db.protocol}//${db.hostname}${db.pathname} as ${db.username}`);
console.log(`API key loaded: ${key.length} characters, ending in ...${key.slice(-4)}`);
if (process.env.GREETING) {
  console.log(process.env.GREETING);
}
