"""HCS error codes as data: hcsshim's `internal/computecore` HCS_E_* table (HRESULTs
0x8037xxxx; Docker prints them as 0xc037xxxx) with the `internal/hcs` errors.go names, and
which of them point at a version problem.

`version`: "mismatch" means the code itself says the image does not fit the host;
"known-problem" means the code is generic but has been the field symptom of a version pair
(runtimes.md known problems, named in `known_problems`); "no" means a version change will not
fix it."""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "https://github.com/microsoft/hcsshim (internal/computecore, internal/hcs/errors.go)"


@dataclass(frozen=True)
class HcsCode:
    low: int  # the low 16 bits: 0x0101 for 0xc0370101 / 0x80370101
    name: str  # HCS_E_*
    slug: str  # the short meaning answers use
    meaning: str  # hcsshim's comment, which is also the Windows message text
    version: str = "no"  # "mismatch" | "known-problem" | "no"
    known_problems: tuple[str, ...] = ()
    hcsshim: str | None = None  # the internal/hcs errors.go variable, where there is one
    messages: tuple[str, ...] = ()  # other texts Windows prints for it (cut-off lines)

    @property
    def code(self) -> str:
        return f"0xc037{self.low:04x}"

    @property
    def hresult(self) -> str:
        return f"0x8037{self.low:04x}"


CODES: tuple[HcsCode, ...] = (
    HcsCode(0x0100, "HCS_E_TERMINATED_DURING_START", "terminated-during-start",
            "The virtual machine or container exited unexpectedly while starting."),
    HcsCode(0x0101, "HCS_E_IMAGE_MISMATCH", "image-os-mismatch",
            "The container operating system does not match the host operating system.",
            version="mismatch",
            messages=("The operating system of the container does not match the operating "
                      "system of the host.",)),
    HcsCode(0x0102, "HCS_E_HYPERV_NOT_INSTALLED", "hyperv-not-installed",
            "The virtual machine could not be started because a required feature is not "
            "installed."),
    HcsCode(0x0103, "ErrVmcomputeOperationPending", "operation-pending",
            "The operation is being completed asynchronously.",
            hcsshim="ErrVmcomputeOperationPending"),
    HcsCode(0x0105, "HCS_E_INVALID_STATE", "invalid-state",
            "The requested virtual machine or container operation is not valid in the current "
            "state.", hcsshim="ErrVmcomputeOperationInvalidState"),
    HcsCode(0x0106, "HCS_E_UNEXPECTED_EXIT", "unexpected-exit",
            "The virtual machine or container exited unexpectedly.",
            version="known-problem",
            known_problems=("image-revision-newer-2025", "image-revision-newer-2019"),
            hcsshim="ErrVmcomputeUnexpectedExit"),
    HcsCode(0x0107, "HCS_E_TERMINATED", "terminated",
            "The virtual machine or container was forcefully exited."),
    HcsCode(0x0108, "HCS_E_CONNECT_FAILED", "connect-failed",
            "A connection could not be established with the container or virtual machine."),
    HcsCode(0x0109, "HCS_E_CONNECTION_TIMEOUT", "connection-timeout",
            "The operation timed out because a response was not received from the virtual "
            "machine or container."),
    HcsCode(0x010A, "HCS_E_CONNECTION_CLOSED", "connection-closed",
            "The connection with the virtual machine or container was closed."),
    HcsCode(0x010B, "HCS_E_UNKNOWN_MESSAGE", "unknown-message",
            "An unknown internal message was received by the virtual machine or container.",
            hcsshim="ErrVmcomputeUnknownMessage"),
    HcsCode(0x010C, "HCS_E_UNSUPPORTED_PROTOCOL_VERSION", "unsupported-protocol-version",
            "The virtual machine or container does not support an available version of the "
            "communication protocol with the host."),
    HcsCode(0x010D, "HCS_E_INVALID_JSON", "invalid-json",
            "The virtual machine or container JSON document is invalid.",
            hcsshim="ErrVmcomputeInvalidJSON"),
    HcsCode(0x010E, "HCS_E_SYSTEM_NOT_FOUND", "system-not-found",
            "A virtual machine or container with the specified identifier does not exist.",
            hcsshim="ErrComputeSystemDoesNotExist"),
    HcsCode(0x010F, "HCS_E_SYSTEM_ALREADY_EXISTS", "system-already-exists",
            "A virtual machine or container with the specified identifier already exists."),
    HcsCode(0x0110, "HCS_E_SYSTEM_ALREADY_STOPPED", "system-already-stopped",
            "The virtual machine or container with the specified identifier is not running.",
            hcsshim="ErrVmcomputeAlreadyStopped"),
    HcsCode(0x0111, "HCS_E_PROTOCOL_ERROR", "protocol-error",
            "A communication protocol error has occurred between the virtual machine or "
            "container and the host."),
    HcsCode(0x0112, "HCS_E_INVALID_LAYER", "invalid-layer",
            "The container image contains a layer with an unrecognized format.",
            version="known-problem", known_problems=("win11-25h2-ltsc2025",)),
    HcsCode(0x0113, "HCS_E_WINDOWS_INSIDER_REQUIRED", "windows-insider-required",
            "To use this container image, you must join the Windows Insider Program.",
            version="mismatch"),
    HcsCode(0x0114, "HCS_E_SERVICE_NOT_AVAILABLE", "service-not-available",
            "The operation could not be started because a required feature is not installed."),
    HcsCode(0x0115, "HCS_E_OPERATION_NOT_STARTED", "operation-not-started",
            "The operation has not started."),
    HcsCode(0x0116, "HCS_E_OPERATION_ALREADY_STARTED", "operation-already-started",
            "The operation is already running."),
    HcsCode(0x0117, "HCS_E_OPERATION_PENDING", "operation-pending",
            "The operation is still running."),
    HcsCode(0x0118, "HCS_E_OPERATION_TIMEOUT", "operation-timeout",
            "The operation did not complete in time."),
    HcsCode(0x0119, "HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET", "callback-already-set",
            "An event callback has already been registered on this handle."),
    HcsCode(0x011A, "HCS_E_OPERATION_RESULT_ALLOCATION_FAILED", "result-allocation-failed",
            "Not enough memory available to return the result of the operation."),
    HcsCode(0x011B, "HCS_E_ACCESS_DENIED", "access-denied",
            "Insufficient privileges: only administrators or members of the Hyper-V "
            "Administrators group may access virtual machines or containers."),
    HcsCode(0x011C, "HCS_E_GUEST_CRITICAL_ERROR", "guest-critical-error",
            "The virtual machine or container reported a critical error and was stopped or "
            "restarted."),
    HcsCode(0x011D, "HCS_E_PROCESS_INFO_NOT_AVAILABLE", "process-info-not-available",
            "The process information is not available."),
    HcsCode(0x011E, "HCS_E_SERVICE_DISCONNECT", "service-disconnect",
            "The host compute system service has disconnected unexpectedly."),
    HcsCode(0x011F, "HCS_E_PROCESS_ALREADY_STOPPED", "process-already-stopped",
            "The process has already exited."),
    HcsCode(0x0120, "HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION", "not-configured-for-operation",
            "The virtual machine or container is not configured to perform the operation."),
    HcsCode(0x0121, "HCS_E_OPERATION_ALREADY_CANCELLED", "operation-already-cancelled",
            "The operation has already been cancelled."),
)  # fmt: skip

BY_CODE: dict[str, HcsCode] = {c.code: c for c in CODES}
_BY_MESSAGE: dict[str, HcsCode] = {
    m.lower().rstrip("."): c for c in CODES for m in (c.meaning, *c.messages)
}


def lookup(code: str) -> HcsCode | None:
    """`0xc0370101` or `0x80370101`, any case."""
    code = code.lower()
    return BY_CODE.get("0xc037" + code[6:]) if code[:6] in ("0xc037", "0x8037") else None


def by_message(message: str) -> HcsCode | None:
    """The code of a Windows system call message whose code was cut off."""
    return _BY_MESSAGE.get(message.strip().lower().rstrip("."))
