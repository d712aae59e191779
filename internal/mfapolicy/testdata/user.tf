# Written by `awsmfa policy user --format terraform`.
# awsmfa's user policy (role strategy): without MFA the key may only enroll its own MFA device and get an MFA session.

variable "user_name" {
  description = "The IAM user whose access key awsmfa locks."
  type        = string
  default     = "alice"

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,64}$", var.user_name))
    error_message = "The user name must be 1 to 64 letters, digits and +=,.@_-."
  }
}

variable "account_id" {
  description = "The AWS account id of the user and the role."
  type        = string
  default     = "123456789012"

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "The account id must be 12 digits."
  }
}

variable "role_name" {
  description = "The role the user assumes with MFA."
  type        = string
  default     = "awsmfa-role"

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,64}$", var.role_name))
    error_message = "The role name must be 1 to 64 letters, digits and +=,.@_-."
  }
}

variable "partition" {
  description = "The AWS partition of the account."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "The partition must be aws, aws-cn or aws-us-gov."
  }
}

resource "aws_iam_policy" "awsmfa_user" {
  name        = "awsmfa-user-${var.user_name}"
  description = "awsmfa: without MFA, only MFA enrollment and an MFA session; with MFA, the role and the user's own access keys"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "AllowListActionsOnlyWithMFA"
        Effect = "Allow"
        Action = [
          "iam:ListUsers",
          "iam:ListVirtualMFADevices",
        ]
        Resource = "*"
        Condition = {
          Bool = {
            "aws:MultiFactorAuthPresent" = "true"
          }
        }
      },
      {
        Sid      = "AllowUserToCreateVirtualMFADevice"
        Effect   = "Allow"
        Action   = "iam:CreateVirtualMFADevice"
        Resource = "arn:${var.partition}:iam::*:mfa/*"
      },
      {
        Sid    = "AllowUserToManageTheirOwnMFA"
        Effect = "Allow"
        Action = [
          "iam:EnableMFADevice",
          "iam:GetMFADevice",
          "iam:ListMFADevices",
          "iam:ResyncMFADevice",
        ]
        Resource = "arn:${var.partition}:iam::*:user/$${aws:username}"
      },
      {
        Sid      = "AllowUserToDeactivateTheirOwnMFAOnlyWhenUsingMFA"
        Effect   = "Allow"
        Action   = "iam:DeactivateMFADevice"
        Resource = "arn:${var.partition}:iam::*:user/$${aws:username}"
        Condition = {
          Bool = {
            "aws:MultiFactorAuthPresent" = "true"
          }
        }
      },
      {
        Sid    = "AllowIdentityAndMFASession"
        Effect = "Allow"
        Action = [
          "sts:GetCallerIdentity",
          "sts:GetSessionToken",
        ]
        Resource = "*"
      },
      {
        Sid      = "AllowAssumeRoleOnlyWithMFA"
        Effect   = "Allow"
        Action   = "sts:AssumeRole"
        Resource = "arn:${var.partition}:iam::${var.account_id}:role/${var.role_name}"
        Condition = {
          Bool = {
            "aws:MultiFactorAuthPresent" = "true"
          }
        }
      },
      {
        Sid    = "AllowUserToManageTheirOwnAccessKeysOnlyWithMFA"
        Effect = "Allow"
        Action = [
          "iam:CreateAccessKey",
          "iam:DeleteAccessKey",
          "iam:GetAccessKeyLastUsed",
          "iam:ListAccessKeys",
          "iam:UpdateAccessKey",
        ]
        Resource = "arn:${var.partition}:iam::*:user/$${aws:username}"
        Condition = {
          Bool = {
            "aws:MultiFactorAuthPresent" = "true"
          }
        }
      },
      {
        Sid    = "BlockMostAccessUnlessSignedInWithMFA"
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

resource "aws_iam_user_policy_attachment" "awsmfa_user" {
  user       = var.user_name
  policy_arn = aws_iam_policy.awsmfa_user.arn
}
