# Written by `awsmfa policy deny-without-mfa --format terraform`.
# awsmfa's deny-without-mfa policy (session strategy): without MFA the key may only enroll its own MFA device and get an MFA session.

variable "user_name" {
  description = "The IAM user whose access key awsmfa locks."
  type        = string
  default     = "alice"

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,64}$", var.user_name))
    error_message = "The user name must be 1 to 64 letters, digits and +=,.@_-."
  }
}

resource "aws_iam_policy" "awsmfa_deny_without_mfa" {
  name        = "awsmfa-deny-without-mfa-${var.user_name}"
  description = "awsmfa: without MFA, everything but MFA enrollment and an MFA session is denied"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "DenyAllExceptListedIfNoMFA"
        Effect = "Deny"
        NotAction = [
          "iam:CreateVirtualMFADevice",
          "iam:EnableMFADevice",
          "iam:GetMFADevice",
          "iam:ListMFADevices",
          "iam:ResyncMFADevice",
          "sts:GetCallerIdentity",
          "sts:GetSessionToken",
        ]
        Resource = "*"
        Condition = {
          BoolIfExists = {
            "aws:MultiFactorAuthPresent" = "false"
          }
        }
      },
    ]
  })
}

resource "aws_iam_user_policy_attachment" "awsmfa_deny_without_mfa" {
  user       = var.user_name
  policy_arn = aws_iam_policy.awsmfa_deny_without_mfa.arn
}
