"""The project's named errors.

The class names are the workflow's contract: the state machine's Retry and Catch match
them (Lambda reports an unhandled exception's class name as its ``errorType``). Rename
one and the ASL must change with it.

Every message passes through the redactor at construction, so a secret that reaches a
message by accident is masked before it can reach a log line or an execution history.
"""

from __future__ import annotations

from .sensitive import redact


class PortalAutomationError(Exception):
    """Base class. ``transient`` errors may be retried by the state machine."""

    transient = False

    def __init__(self, message: str) -> None:
        self.message = redact(message)
        super().__init__(self.message)


# --- the portal --------------------------------------------------------------------


class PortalUnavailable(PortalAutomationError):
    """Connection refused or reset, DNS failure, timeout, or a proxy error page."""

    transient = True


class PortalAnswerTooSlow(PortalUnavailable):
    """The portal's answer did not complete within the call's total deadline (a body
    dripped a byte at a time passes every per-read timeout). Transient, as any
    unavailability; a change it cut off has an unknown outcome."""

    transient = True


class PortalAnswerTooLarge(PortalAutomationError):
    """The portal's answer is larger than the call's size cap; it was not read further.
    Not transient (asked again, the portal answers the same); a change it cut off has an
    unknown outcome."""


class PortalAuthFailed(PortalAutomationError):
    """Token refused (498 invalid, 499 required), bad credentials, or not authorized (403)."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class PortalRequestRejected(PortalAutomationError):
    """The portal answered with an error or a status other than success."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class PortalBadResponse(PortalAutomationError):
    """The portal answered 2xx but not with the JSON that was asked for."""

    transient = True


class PortalTlsError(PortalAutomationError):
    """The portal's certificate failed verification. Never retried, never bypassed."""


class InsecurePortalUrl(PortalAutomationError):
    """The portal URL is not https (plain http is allowed only for local testing)."""


class UnsupportedPortalVersion(PortalAutomationError):
    """The portal's version (or product: ArcGIS Enterprise on Kubernetes) is outside what
    this project supports."""


class UnsupportedTokenManager(PortalAutomationError):
    """An ArcGIS Server site whose token manager is not BUILTIN: its tokens are not
    signed with a shared key this project can rotate; refused before anything is sent."""


class MachineUnreachable(PortalAutomationError):
    """A machine of an HA portal does not answer at its adminURL from the functions, so
    the change could not be verified on it; refused before anything changes."""


class MachinePinMismatch(PortalAutomationError):
    """The machines the portal lists are not those the credentials secret pins
    (``machines``): a listed machine that is not pinned, or a pinned one the portal does
    not list. Refused before any change, nothing sent to any machine: the portal's
    answer is at fault (or the pins are out of date), not the secret's format."""


class MachineListTooLarge(PortalAutomationError):
    """``portaladmin/machines`` lists more machines, or longer names or adminURLs, than
    any portal has: refused before the run's state could grow with it."""


class MachineListForbidden(PortalAutomationError):
    """The account may not list the portal's machines: ``portaladmin/machines`` needs the
    default administrator role, which "Security and Infrastructure" alone is not."""


# --- inputs ------------------------------------------------------------------------


class InvalidSharedKey(PortalAutomationError):
    """A shared key of the wrong length, not base64, or too weak."""


class InvalidSecurityConfig(PortalAutomationError):
    """A desired security configuration with unknown keys, wrong types or bad values."""


class InvalidCredentialsSecret(PortalAutomationError):
    """The credentials secret is not JSON or a field is missing or malformed."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidExecutionInput(PortalAutomationError):
    """The workflow's input does not match its schema."""


# --- AWS ---------------------------------------------------------------------------


class SecretNotFound(PortalAutomationError):
    """The named secret (or the asked version of it) does not exist."""


class SecretAccessDenied(PortalAutomationError):
    """Not allowed to read or write the named secret, or to decrypt it."""


class SecretStoreUnavailable(PortalAutomationError):
    """Secrets Manager throttled or failed; safe to retry."""

    transient = True


class SecretStoreRejected(PortalAutomationError):
    """Secrets Manager refused a request for a reason other than access or absence."""


class WorkStoreError(PortalAutomationError):
    """The run's encrypted scratch space (S3) could not be read or written."""

    transient = True


class LedgerUnavailable(PortalAutomationError):
    """The run ledger (DynamoDB) throttled or failed; safe to retry."""

    transient = True


# --- the workflow ------------------------------------------------------------------


class PortalBusy(PortalAutomationError):
    """Another run holds this portal's lock (two rotations of one secret at once)."""


class LockLost(PortalAutomationError):
    """The portal's lock is no longer this run's (it expired and another run took it,
    or the run was stopped and its locks released): the branch changes nothing more."""


class PortalRestartTimeout(PortalAutomationError):
    """The portal did not come back (or did not restart) within the allowed maximum."""


class TokenLifetimeTooShort(PortalAutomationError):
    """The target issues tokens for less time than the restart may take: the probe token
    made before the change could expire before it proves anything; nothing was sent."""


class ChangeNotApplied(PortalAutomationError):
    """The portal still has the old state after the allowed number of attempts."""


class VerificationFailed(PortalAutomationError):
    """The portal is back but the change cannot be proven (key or config differs)."""


class PendingVersionConflict(PortalAutomationError):
    """The secret has an AWSPENDING version left by another run; nothing is overwritten."""


class RollbackFailed(PortalAutomationError):
    """A failed config change could not be rolled back to the snapshot."""


class LicensesNotPopulated(PortalAutomationError):
    """10.7: after the key change the portal still reports its licenses not populated,
    although license/populateLicense was called."""


# --- triggers ----------------------------------------------------------------------


class RotationNotEnabled(PortalAutomationError):
    """Secrets Manager called the rotation function for a secret without rotation."""


class RotationTokenInvalid(PortalAutomationError):
    """The ClientRequestToken is not a version of the secret, or not AWSPENDING."""


class RotationStillRunning(PortalAutomationError):
    """The rotation's execution is still running (a long restart); the next attempt
    of the rotation attaches to the same execution."""


class RotationFailed(PortalAutomationError):
    """The rotation's execution failed: the key was not verified, nothing promoted."""


class UnsupportedEvent(PortalAutomationError):
    """An EventBridge event this project does not know how to start a run for."""


class UnattributedChange(PortalAutomationError):
    """A real change of the desired configuration was asked for, but its document was
    last written by a principal the deployment does not name (RequestPrincipalArns)."""


class InvalidTriggerEvent(PortalAutomationError):
    """A rotation or EventBridge event without the fields its kind always has (a
    malformed or forged invocation); nothing is started or changed."""


class WorkflowStartFailed(PortalAutomationError):
    """Step Functions refused or failed to start the execution."""

    transient = True


# --- the functions themselves --------------------------------------------------------


class ConfigurationError(PortalAutomationError):
    """A function is deployed without a setting it needs, or with an invalid one."""


class UnexpectedError(PortalAutomationError):
    """A failure the project has no name for (a bug or an unexpected dependency error)."""
