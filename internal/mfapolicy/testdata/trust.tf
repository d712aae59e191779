# Written by `awsmfa policy trust --format terraform`.
# awsmfa's role: only the user, only with MFA, may assume it.

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

output "role_arn" {
  description = "The role to name as role_arn in the AWS config, with the user's key profile as source_profile."
  value       = aws_iam_role.awsmfa.arn
}
