// Package compat proves that real AWS clients work with the project's STS/IAM
// emulator (internal/awsemu), with moto_server, and with awsmfa itself. It
// holds only tests.
//
// The clients are the ones users run: the AWS CLI v1 (`aws` on PATH), the AWS
// CLI v2 (/usr/bin/aws), boto3, aws-sdk-go-v2 and the AWS SDK for JavaScript
// v3 (installed into js/node_modules by `npm ci --prefix internal/compat/js`).
// A test whose client or server is not installed is skipped with a message
// naming what is missing, except when CI=true, where that is a failure: in CI
// these tests are mandatory.
//
// Every child process runs in its own session (no controlling terminal) with
// an environment built from scratch: HOME is a fresh temporary directory, the
// AWS config and credentials files are inside it, and no AWS_* or AWSMFA_*
// variable of the caller leaks through. Without a controlling terminal,
// Python's getpass (botocore's MFA prompter) cannot open /dev/tty and falls
// back to reading the code from stdin, which is how the tests answer the
// prompt of an mfa_serial role profile; the Go SDK's stscreds.StdinTokenProvider
// reads stdin too. This also guarantees that a test never reads the terminal
// of whoever runs `go test`.
package compat
