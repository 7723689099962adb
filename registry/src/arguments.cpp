// ioreg's command line (getopt ":abc:d:fik:ln:p:rsStw:x", API-SYSEXT §3.1), plus --json.

#include <netdext/registry/ioreg.h>

#include <charconv>

namespace netdext::registry {
namespace {

bool parse_count(const std::string &text, uint32_t &out) {
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        return false;
    out = value;
    return true;
}

bool takes_argument(char option) {
    return option == 'c' || option == 'd' || option == 'k' || option == 'n' || option == 'p' ||
           option == 'w';
}

bool apply(char option, const std::string &argument, IoregOptions &options, std::string &error) {
    switch (option) {
    case 'a': options.archive = true; return true;
    case 'b': options.bold = true; return true;
    case 'f': return true; // smart formatting of device-tree data: nothing here needs it
    case 'i': options.inheritance = true; return true;
    case 'l': options.list = true; return true;
    case 'r': options.root = true; return true;
    case 's': options.state = true; return true;
    case 'S': options.state = false; return true;
    case 't': options.tree = true; return true;
    case 'x': options.hex = true; return true;
    case 'c': options.class_name = argument; return true;
    case 'k': options.key = argument; return true;
    case 'n': options.name = argument; return true;
    case 'p':
        if (argument == "IOService")
            return true;
        error = "-p " + argument + ": netdext's registry has only the IOService plane";
        return false;
    case 'd':
        if (!parse_count(argument, options.depth)) {
            error = "-d " + argument + ": not a depth";
            return false;
        }
        return true; // 0, as in ioreg, means no limit
    case 'w':
        if (!parse_count(argument, options.width)) {
            error = "-w " + argument + ": not a width";
            return false;
        }
        return true;
    default:
        error = std::string("-") + option + ": unknown option";
        return false;
    }
}

} // namespace

bool parse_ioreg_arguments(const std::vector<std::string> &arguments, IoregOptions &options,
                           std::string &error) {
    for (size_t i = 0; i < arguments.size(); ++i) {
        const std::string &arg = arguments[i];
        if (arg == "--json") {
            options.json = true;
            continue;
        }
        if (arg.size() < 2 || arg[0] != '-' || arg[1] == '-') {
            error = arg + ": ioreg takes options only";
            return false;
        }
        for (size_t j = 1; j < arg.size(); ++j) {
            const char option = arg[j];
            std::string value;
            if (takes_argument(option)) {
                if (j + 1 < arg.size()) {
                    value = arg.substr(j + 1);
                } else if (i + 1 < arguments.size()) {
                    value = arguments[++i];
                } else {
                    error = std::string("-") + option + " needs an argument";
                    return false;
                }
                if (!apply(option, value, options, error))
                    return false;
                break;
            }
            if (!apply(option, value, options, error))
                return false;
        }
    }
    if (options.archive && options.json) {
        error = "-a and --json are two output formats; give one";
        return false;
    }
    return true;
}

std::string usage_text(const char *program) {
    std::string out = "usage: ";
    out += program;
    out += " [-abfilrtx] [-c class] [-d depth] [-k key] [-n name] [-p plane] [-w width] "
           "[--json]\n"
           "  -a         print an XML property list (an archive) instead of text\n"
           "  -b         names in bold\n"
           "  -c class   properties of entries whose class is or derives from `class`\n"
           "  -d depth   levels shown below each root (1: the roots only; 0: all)\n"
           "  -f         accepted for compatibility (no device-tree data to decode)\n"
           "  -i         class as its inheritance chain, Base:...:Class\n"
           "  -k key     properties of entries that have the property `key`\n"
           "  -l         properties of every entry\n"
           "  -n name    properties of entries named `name` (or name@location)\n"
           "  -p plane   the plane to walk; only IOService exists here\n"
           "  -r         print the matching entries as roots of their own subtrees\n"
           "  -s / -S    show / hide id, state, busy count and retain count\n"
           "  -t         with -r, also print the path from the registry root\n"
           "  -w width   clip lines to `width` columns, ending clipped ones with $ (0: no clip)\n"
           "  -x         numbers and data in hexadecimal\n"
           "  --json     what -a prints, as typed JSON\n";
    return out;
}

} // namespace netdext::registry
