// The hand-written notes column: tools/api-coverage/notes.tsv, one "KEY<TAB>note" per line.
//   KEY = Class            a note under the class heading
//         Class::member    a note on the member (every overload)
//         function         a note on a free function
// '#' starts a comment line. Several lines with one key are joined with a space. A key that
// names nothing in the headers is an error, so notes cannot outlive what they describe.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace api_coverage {

struct Notes {
    std::map<std::string, std::string> text; // key → note
    std::map<std::string, int> line;         // key → first line in the file
};

// Parses notes; false with `error` ("notes.tsv:LINE: …") on a malformed line.
bool parse_notes(const std::string &contents, const std::string &file_name, Notes &notes,
                 std::string &error);

} // namespace api_coverage
