// ioreg's text output (API-SYSEXT §3.1–3.3): what ioreg's scan/search/show print, rebuilt from the
// documented behaviour — tree drawing from a stack of "has more siblings" / "has children" bits,
// property blocks, value formats and -w clipping.

#include <netdext/registry/ioreg.h>

#include <cinttypes>
#include <cstdio>

namespace netdext::registry {
namespace {

constexpr char kBoldOn = '\x01';  // markers that take no width; become ANSI codes at the end
constexpr char kBoldOff = '\x02';

// One output line at a time, clipped as ioreg clips: a line of `width` characters or more keeps
// width-1 of them and ends with '$'; in clipping mode newlines inside values become spaces.
class Printer {
public:
    explicit Printer(const IoregOptions &options) : m_options(options) {}

    Printer &operator<<(std::string_view text) {
        m_line.append(text.data(), text.size());
        return *this;
    }
    void end_line() {
        std::string visible;
        size_t shown = 0;
        bool clipped = false;
        for (char c : m_line) {
            if (c == kBoldOn || c == kBoldOff) {
                visible += c == kBoldOn ? "\x1b[1m" : "\x1b[0m";
                continue;
            }
            if (m_options.width != 0) {
                if (shown + 1 >= m_options.width) {
                    clipped = true;
                    continue;
                }
                if (c == '\n')
                    c = ' ';
            }
            visible += c;
            ++shown;
        }
        m_out += visible;
        if (clipped)
            m_out += '$';
        m_out += '\n';
        m_line.clear();
    }
    std::string take() { return std::move(m_out); }

private:
    const IoregOptions &m_options;
    std::string m_line;
    std::string m_out;
};

// bits[i] for i <= depth: the entry at level i has later siblings; bits[depth + 1]: the entry at
// `depth` has children shown below it.
using Bits = std::vector<bool>;

bool bit(const Bits &bits, size_t i) { return i < bits.size() && bits[i]; }

void indent(Printer &out, bool node, uint32_t depth, const Bits &bits) {
    const uint32_t levels = node ? depth : depth + 2;
    for (uint32_t i = 0; i < levels; ++i)
        out << (bit(bits, i) ? "| " : "  ");
    if (node)
        out << "+-o ";
}

std::string hex64(uint64_t value) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%" PRIx64, value);
    return text;
}

void show(Printer &out, const Entry &entry, uint32_t depth, const Bits &bits,
          const IoregOptions &options) {
    indent(out, true, depth, bits);
    if (options.bold)
        out << std::string(1, kBoldOn) << entry.name << std::string(1, kBoldOff);
    else
        out << entry.name;
    if (!entry.location.empty())
        out << "@" << entry.location;
    out << "  <class " << (options.inheritance ? entry.inheritance() : entry.class_name);
    if (options.state) {
        out << ", id " << hex64(entry.id);
        if (entry.is_service) {
            out << ", " << (entry.registered() ? "" : "!") << "registered, "
                << (entry.matched() ? "" : "!") << "matched, " << (entry.active() ? "" : "in")
                << "active, busy " << std::to_string(entry.busy_count);
            // ioreg prints the accumulated busy time whenever it is not zero (so "(0 ms)" means
            // less than a millisecond).
            if (entry.busy_time_ns != 0)
                out << " (" << std::to_string(entry.busy_time_ns / 1000000) << " ms)";
        }
        out << ", retain " << std::to_string(entry.retain_count);
    }
    out << ">";
    out.end_line();

    if (!options.list && !matches(entry, options))
        return;
    indent(out, false, depth, bits);
    out << "{";
    out.end_line();
    for (const Value::Member &member : entry.properties.members()) {
        indent(out, false, depth, bits);
        out << "  \"" << member.key << "\" = " << format_value(member.value, options.hex);
        out.end_line();
    }
    indent(out, false, depth, bits);
    out << "}";
    out.end_line();
    indent(out, false, depth, bits);
    out.end_line();
}

bool children_shown(uint32_t depth, const IoregOptions &options) {
    return options.depth == 0 || options.depth > depth + 1;
}

void scan(Printer &out, const Entry &entry, bool more_siblings, uint32_t depth, Bits bits,
          const IoregOptions &options) {
    if (bits.size() < depth + 2)
        bits.resize(depth + 2);
    bits[depth] = more_siblings;
    const bool descend = children_shown(depth, options);
    // ioreg leaves this bit as it was when the depth limit hides the children; we clear it, so
    // that a depth-limited entry never draws a branch to children that are not printed.
    bits[depth + 1] = descend && !entry.children.empty();
    show(out, entry, depth, bits, options);
    if (!descend)
        return;
    for (size_t i = 0; i < entry.children.size(); ++i)
        scan(out, entry.children[i], i + 1 < entry.children.size(), depth + 1, bits, options);
}

void search(Printer &out, const Entry &entry, std::vector<const Entry *> &path,
            const IoregOptions &options) {
    if (matches(entry, options)) {
        const uint32_t depth = uint32_t(path.size());
        if (options.tree) {
            // The path from the root: each ancestor drawn as an only child that has children.
            for (uint32_t i = 0; i < depth; ++i) {
                Bits bits(i + 2);
                bits[i + 1] = true;
                show(out, *path[i], i, bits, options);
            }
            IoregOptions shifted = options;
            if (shifted.depth != 0)
                shifted.depth += depth;
            scan(out, entry, false, depth, Bits(depth + 2), shifted);
        } else {
            scan(out, entry, false, 0, Bits(2), options);
        }
        out.end_line(); // a blank line after each subtree
        return;
    }
    path.push_back(&entry);
    for (const Entry &child : entry.children)
        search(out, child, path, options);
    path.pop_back();
}

// ioreg's test for data that holds one or more C strings: each run of printable characters
// (bytes 128–254 allowed, at most one in five) ends in a NUL or at the end of the data; an empty
// string (a NUL where a string should start) or any other byte means "not text"; a single byte
// never is.
bool data_is_text(const std::string &bytes) {
    const size_t n = bytes.size();
    if (n <= 1)
        return false;
    size_t normal = 0, symbol = 0, i = 0;
    while (i < n) {
        if (bytes[i] == '\0')
            break;
        for (; i < n; ++i) {
            const auto b = static_cast<unsigned char>(bytes[i]);
            if (b >= 0x20 && b <= 0x7e)
                ++normal;
            else if (b >= 128 && b <= 254)
                ++symbol;
            else
                break;
        }
        if (i < n && bytes[i] == '\0') {
            ++i; // the terminator
            continue;
        }
        break;
    }
    if ((normal >> 2) < symbol)
        return false;
    return i >= n && normal > 0;
}

void append_data(std::string &out, const std::string &bytes, bool hex) {
    out += '<';
    if (!hex && data_is_text(bytes)) {
        bool quoted = false;
        for (size_t i = 0; i < bytes.size(); ++i) {
            if (bytes[i] != '\0') {
                if (!quoted) {
                    out += i != 0 ? ",\"" : "\"";
                    quoted = true;
                }
                out += bytes[i];
            } else if (quoted) {
                out += '"';
                quoted = false;
            } else {
                break;
            }
        }
        if (quoted)
            out += '"';
    } else {
        static const char digits[] = "0123456789abcdef";
        for (unsigned char b : bytes) {
            out += digits[b >> 4];
            out += digits[b & 15];
        }
    }
    out += '>';
}

void append_value(std::string &out, const Value &value, bool hex) {
    switch (value.type()) {
    case Value::Type::string:
        out += '"';
        out += value.text();
        out += '"';
        return;
    case Value::Type::number: {
        char text[24];
        if (hex)
            std::snprintf(text, sizeof text, "0x%" PRIx64, value.number_value());
        else
            std::snprintf(text, sizeof text, "%" PRIu64, value.number_value());
        out += text;
        return;
    }
    case Value::Type::boolean:
        out += value.boolean_value() ? "Yes" : "No";
        return;
    case Value::Type::data:
        append_data(out, value.bytes(), hex);
        return;
    case Value::Type::array: {
        out += '(';
        bool first = true;
        for (const Value &item : value.items()) {
            if (!first)
                out += ',';
            first = false;
            append_value(out, item, hex);
        }
        out += ')';
        return;
    }
    case Value::Type::dictionary: {
        out += '{';
        bool first = true;
        for (const Value::Member &member : value.members()) {
            if (!first)
                out += ',';
            first = false;
            out += '"';
            out += member.key;
            out += "\"=";
            append_value(out, member.value, hex);
        }
        out += '}';
        return;
    }
    }
}

} // namespace

bool matches(const Entry &entry, const IoregOptions &options) {
    bool match = false;
    if (!options.class_name.empty()) {
        if (!entry.conforms_to(options.class_name))
            return false;
        match = true;
    }
    if (!options.key.empty()) {
        if (entry.properties.find(options.key) == nullptr)
            return false;
        match = true;
    }
    if (!options.name.empty()) {
        std::string name = entry.name;
        if (options.name.find('@') != std::string::npos)
            name += "@" + entry.location;
        if (name != options.name)
            return false;
        match = true;
    }
    return match;
}

std::string format_value(const Value &value, bool hex) {
    std::string out;
    append_value(out, value, hex);
    return out;
}

std::string format_text(const Entry &root, const IoregOptions &options) {
    Printer out(options);
    if (options.root) {
        std::vector<const Entry *> path;
        search(out, root, path, options);
    } else {
        scan(out, root, false, 0, Bits(2), options);
    }
    return out.take();
}

std::string format(const Entry &root, const IoregOptions &options) {
    if (options.archive)
        return format_archive(root, options);
    if (options.json)
        return format_json(root, options);
    return format_text(root, options);
}

} // namespace netdext::registry
