package compat

import "testing"

// TestRealClients runs the flows of issue 3 (acceptance 2) with the AWS CLI v1
// and v2, boto3 and aws-sdk-go-v2 against the emulator and against
// moto_server: one response shape must parse in every client, and the
// emulator must give the answers AWS would.
func TestRealClients(t *testing.T) {
	targets := []struct {
		name  string
		start func(*testing.T) *target
	}{
		{"awsemu", startEmulator},
		{"moto", startMoto},
	}
	clients := []struct {
		name string
		new  func(*testing.T, *target) driver
	}{
		{"awscli-v1", func(t *testing.T, tg *target) driver {
			return &awsCLI{bin: awsCLIv1(t), endpoint: tg.endpoint}
		}},
		{"awscli-v2", func(t *testing.T, tg *target) driver {
			bin, ver := awsCLIv2(t)
			return newAWSCLIv2(t, bin, ver, tg)
		}},
		{"boto3", func(t *testing.T, tg *target) driver {
			return newBoto3(t, python3Boto3(t), tg.endpoint)
		}},
		{"gosdk", func(t *testing.T, tg *target) driver {
			return newGoSDK(t, tg.endpoint)
		}},
	}
	for _, tc := range targets {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := tc.start(t)
			for _, c := range clients {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					testFlows(t, tg, c.name, c.new(t, tg))
				})
			}
		})
	}
}
