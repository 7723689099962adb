#include <netdext/result.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace netdext {

const char *to_string(ErrorCode code) {
    switch (code) {
    case ErrorCode::System:
        return "system call failed";
    case ErrorCode::InvalidArgument:
        return "invalid argument";
    case ErrorCode::LayoutMismatch:
        return "region layout mismatch";
    case ErrorCode::NotSealed:
        return "memfd not sealed";
    case ErrorCode::WrongSize:
        return "memfd has the wrong size";
    case ErrorCode::WouldBlock:
        return "would block";
    case ErrorCode::PeerClosed:
        return "peer closed the channel";
    case ErrorCode::MessageTooShort:
        return "message shorter than its header";
    case ErrorCode::MessageTooLong:
        return "message longer than the maximum";
    case ErrorCode::BadMagic:
        return "bad message magic";
    case ErrorCode::BadVersion:
        return "unsupported message version";
    case ErrorCode::UnknownType:
        return "unknown message type";
    case ErrorCode::LengthMismatch:
        return "payload length disagrees with the bytes received";
    case ErrorCode::BadPayloadSize:
        return "payload size outside the type's range";
    case ErrorCode::BadFlags:
        return "reserved message flags set";
    case ErrorCode::BadFdCount:
        return "wrong number of file descriptors for the type";
    case ErrorCode::BadControlMessage:
        return "malformed ancillary data";
    }
    return "unknown error";
}

Error Error::from_errno(const char *context) {
    return Error(ErrorCode::System, errno, context);
}

std::string Error::describe() const {
    std::string text = m_context ? m_context : "";
    text += ": ";
    text += to_string(m_code);
    if (m_errno != 0) {
        text += " (";
        text += std::strerror(m_errno);
        text += ")";
    }
    return text;
}

void verify_failed(const char *expression, const char *file, int line) {
    std::fprintf(stderr, "netdext: VERIFY(%s) failed at %s:%d\n", expression, file, line);
    std::abort();
}

} // namespace netdext
