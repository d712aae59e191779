# Test-only clock shift for botocore (boto3 and the AWS CLI v1), loaded by
# Python from PYTHONPATH at start-up. When COMPAT_CLOCK_FILE is set, botocore's
# "now" (for signing requests and for judging when credentials need a
# refresh) is the real time plus the whole seconds in that file, the same
# offset the emulator and awsmfa run with in internal/compat's simulated long
# job. Without the variable it does nothing.
import os

_clock_file = os.environ.get("COMPAT_CLOCK_FILE")

if _clock_file:
    import datetime

    import botocore.auth
    import botocore.compat
    import botocore.credentials
    import botocore.utils
    from dateutil.tz import tzlocal

    def _offset():
        with open(_clock_file) as f:
            return datetime.timedelta(seconds=int(f.read().strip() or "0"))

    _real_utc_now = botocore.compat.get_current_datetime

    def _shifted_utc_now(remove_tzinfo=True):
        return _real_utc_now(remove_tzinfo) + _offset()

    def _shifted_local_now():
        return datetime.datetime.now(tzlocal()) + _offset()

    botocore.compat.get_current_datetime = _shifted_utc_now
    botocore.auth.get_current_datetime = _shifted_utc_now
    botocore.utils.get_current_datetime = _shifted_utc_now
    botocore.credentials._local_now = _shifted_local_now

    # RefreshableCredentials bound the real clock as a default argument.
    _real_init = botocore.credentials.RefreshableCredentials.__init__

    def _init(self, *args, **kwargs):
        _real_init(self, *args, **kwargs)
        self._time_fetcher = _shifted_local_now

    botocore.credentials.RefreshableCredentials.__init__ = _init
