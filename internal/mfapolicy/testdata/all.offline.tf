# Written by `awsmfa policy all --format terraform`.
# awsmfa's MFA lock: the role only the user with MFA may assume, the user policy, and the deny-without-mfa policy.

variable "user_name" {
  description = "The IAM user whose access key awsmfa locks."
  type        = string

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,64}$", var.user_name))
    error_message = "The user name must be 1 to 64 letters, digits and +=,.@_-."
  }
}

variable "account_id" {
  description = "The AWS account id of the user and the role."
  type        = string

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

variable "max_mfa_age" {
  description = "How many seconds after signing in with MFA the role may still be assumed (awsmfa's MFA session lasts 8 hours)."
  type        = number
  default     = 28800

  validation {
    condition     = var.max_mfa_age >= 900 && var.max_mfa_age <= 129600 && floor(var.max_mfa_age) == var.max_mfa_age
    error_message = "The MFA age must be whole seconds from 900 to 129600."
  }
}

variable "role_policy_arns" {
  description = "The managed policies that give the role its permissions, such as arn:aws:iam::aws:policy/PowerUserAccess."
  type        = list(string)
  default     = []
}

resource "aws_iam_role" "awsmfa" {
  name        = var.role_name
  description = "awsmfa: only the user, with MFA, may assume this role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "AllowUserOnlyWithRecentMFA"
        Effect = "Allow"
        Principal = {
          AWS = "arn:${var.partition}:iam::${var.account_id}:user/${var.user_name}"
        }
        Action = "sts:AssumeRole"
        Condition = {
          Bool = {
            "aws:MultiFactorAuthPresent" = "true"
          }
          NumericLessThan = {
            "aws:MultiFactorAuthAge" = tostring(var.max_mfa_age)
          }
        }
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "awsmfa" {
  for_each   = toset(var.role_policy_arns)
  role       = aws_iam_role.awsmfa.name
  policy_arn = each.value
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

output "role_arn" {
  description = "The role to name as role_arn in the AWS config, with the user's key profile as source_profile."
  value       = aws_iam_role.awsmfa.arn
}
