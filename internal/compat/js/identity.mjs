// Prints {"Arn": ...} of GetCallerIdentity with the AWS SDK for JavaScript v3,
// its credentials coming from PROFILE through the provider named:
//
//   node identity.mjs ini|process PROFILE
//
// fromIni follows the profile's credential_process like the SDK's default
// chain; fromProcess runs it directly. The endpoint comes from
// AWS_ENDPOINT_URL, passed explicitly so that the SDK version does not matter.
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { fromIni, fromProcess } from "@aws-sdk/credential-providers";

const [provider, profile] = process.argv.slice(2);
const providers = { ini: fromIni, process: fromProcess };
if (!providers[provider] || !profile) {
  console.error("usage: node identity.mjs ini|process PROFILE");
  process.exit(2);
}

const client = new STSClient({
  region: process.env.AWS_REGION || "us-east-1",
  endpoint: process.env.AWS_ENDPOINT_URL,
  credentials: providers[provider]({ profile }),
});
try {
  const id = await client.send(new GetCallerIdentityCommand({}));
  process.stdout.write(JSON.stringify({ Arn: id.Arn }) + "\n");
} catch (err) {
  // The SDK's message names the failure, never a secret.
  console.error(`identity.mjs: error: ${err.name}: ${err.message}`);
  process.exit(1);
}
