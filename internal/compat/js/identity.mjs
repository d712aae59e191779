// Prints {"Arn": ...} of GetCallerIdentity with the AWS SDK for JavaScript v3,
// its credentials coming from PROFILE through the provider named:
//
//   node identity.mjs ini|process PROFILE
//   node identity.mjs container|chain
//
// fromIni follows the profile's credential_process like the SDK's default
// chain; fromProcess runs it directly. container is fromContainerMetadata
// (AWS_CONTAINER_CREDENTIALS_FULL_URI and its token); chain is the SDK's
// default chain, with no profile. The endpoint comes from
// AWS_ENDPOINT_URL, passed explicitly so that the SDK version does not matter.
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { fromContainerMetadata, fromIni, fromProcess } from "@aws-sdk/credential-providers";

const [provider, profile] = process.argv.slice(2);
const providers = {
  ini: () => fromIni({ profile }),
  process: () => fromProcess({ profile }),
  container: () => fromContainerMetadata(),
  chain: () => undefined,
};
if (!providers[provider] || (!profile && (provider === "ini" || provider === "process"))) {
  console.error("usage: node identity.mjs ini|process PROFILE | container|chain");
  process.exit(2);
}

const client = new STSClient({
  region: process.env.AWS_REGION || "us-east-1",
  endpoint: process.env.AWS_ENDPOINT_URL,
  credentials: providers[provider](),
});
try {
  const id = await client.send(new GetCallerIdentityCommand({}));
  process.stdout.write(JSON.stringify({ Arn: id.Arn }) + "\n");
} catch (err) {
  // The SDK's message names the failure, never a secret.
  console.error(`identity.mjs: error: ${err.name}: ${err.message}`);
  process.exit(1);
}
