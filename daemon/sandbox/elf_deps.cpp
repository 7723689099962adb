// ELF dependency closure (see elf_deps.h).

#include "elf_deps.h"

#include <netdext/file_io.h>
#include <netdext/unique_fd.h>

#include <gelf.h>
#include <libelf.h>

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <filesystem>
#include <set>
#include <sstream>

namespace netdext::sandbox {

namespace {

struct ElfInfo {
    int elf_class = ELFCLASSNONE;
    int machine = EM_NONE;
    std::string interpreter;
    std::vector<std::string> needed;
    std::vector<std::string> rpath, runpath;
};

std::vector<std::string> split_path_list(const std::string &list, const std::string &origin) {
    std::vector<std::string> dirs;
    std::stringstream in(list);
    std::string dir;
    while (std::getline(in, dir, ':')) {
        for (const char *token : {"${ORIGIN}", "$ORIGIN"}) {
            for (size_t at; (at = dir.find(token)) != std::string::npos;)
                dir.replace(at, std::strlen(token), origin);
        }
        if (!dir.empty() && dir[0] == '/' && dir.find('$') == std::string::npos)
            dirs.push_back(dir);
    }
    return dirs;
}

struct ElfHandle {
    Elf *elf = nullptr;
    ~ElfHandle() {
        if (elf)
            elf_end(elf);
    }
};

Result<ElfInfo> read_elf(const std::string &path) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.is_valid())
        return Error::from_errno("open ELF object");
    ElfHandle handle;
    handle.elf = elf_begin(fd.get(), ELF_C_READ, nullptr);
    if (handle.elf == nullptr || elf_kind(handle.elf) != ELF_K_ELF)
        return Error::from_code(ErrorCode::InvalidArgument, "not an ELF object");
    GElf_Ehdr header;
    if (gelf_getehdr(handle.elf, &header) == nullptr ||
        (header.e_type != ET_DYN && header.e_type != ET_EXEC))
        return Error::from_code(ErrorCode::InvalidArgument, "not an ELF executable or library");
    ElfInfo info;
    info.elf_class = gelf_getclass(handle.elf);
    info.machine = header.e_machine;
    size_t count = 0;
    if (elf_getphdrnum(handle.elf, &count) != 0)
        return Error::from_code(ErrorCode::InvalidArgument, "ELF program headers");
    std::string origin = std::filesystem::path(path).parent_path().string();
    // The loader works from program headers, not sections (which may be stripped): find
    // PT_INTERP and PT_DYNAMIC, and map DT_STRTAB's address to a file offset through PT_LOAD.
    std::vector<GElf_Phdr> loads;
    GElf_Phdr dynamic{};
    bool has_dynamic = false;
    for (size_t i = 0; i < count; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(handle.elf, int(i), &ph) == nullptr)
            return Error::from_code(ErrorCode::InvalidArgument, "ELF program header");
        if (ph.p_type == PT_LOAD)
            loads.push_back(ph);
        if (ph.p_type == PT_DYNAMIC) {
            dynamic = ph;
            has_dynamic = true;
        }
        if (ph.p_type == PT_INTERP && ph.p_filesz > 1 && ph.p_filesz < 4096) {
            Elf_Data *raw =
                elf_getdata_rawchunk(handle.elf, int64_t(ph.p_offset), ph.p_filesz, ELF_T_BYTE);
            if (raw != nullptr) {
                const char *text = static_cast<const char *>(raw->d_buf);
                info.interpreter.assign(text, strnlen(text, ph.p_filesz));
            }
        }
    }
    if (!has_dynamic)
        return info; // static: needs nothing
    Elf_Data *dyn = elf_getdata_rawchunk(handle.elf, int64_t(dynamic.p_offset), dynamic.p_filesz,
                                         ELF_T_DYN);
    if (dyn == nullptr)
        return Error::from_code(ErrorCode::InvalidArgument, "ELF dynamic section");
    size_t entries = dynamic.p_filesz / gelf_fsize(handle.elf, ELF_T_DYN, 1, EV_CURRENT);
    uint64_t strtab_addr = 0, strtab_size = 0;
    std::vector<std::pair<int64_t, uint64_t>> strings; // (tag, offset in strtab)
    for (size_t i = 0; i < entries; ++i) {
        GElf_Dyn entry;
        if (gelf_getdyn(dyn, int(i), &entry) == nullptr || entry.d_tag == DT_NULL)
            break;
        if (entry.d_tag == DT_STRTAB)
            strtab_addr = entry.d_un.d_ptr;
        else if (entry.d_tag == DT_STRSZ)
            strtab_size = entry.d_un.d_val;
        else if (entry.d_tag == DT_NEEDED || entry.d_tag == DT_RPATH || entry.d_tag == DT_RUNPATH)
            strings.emplace_back(entry.d_tag, entry.d_un.d_val);
    }
    if (strings.empty())
        return info;
    uint64_t strtab_offset = 0;
    bool mapped = false;
    for (const GElf_Phdr &load : loads) {
        if (strtab_addr >= load.p_vaddr && strtab_addr < load.p_vaddr + load.p_filesz) {
            strtab_offset = load.p_offset + (strtab_addr - load.p_vaddr);
            strtab_size = std::min(strtab_size, load.p_vaddr + load.p_filesz - strtab_addr);
            mapped = true;
        }
    }
    if (!mapped || strtab_size == 0 || strtab_size > (64u << 20))
        return Error::from_code(ErrorCode::InvalidArgument, "ELF string table");
    Elf_Data *strtab =
        elf_getdata_rawchunk(handle.elf, int64_t(strtab_offset), strtab_size, ELF_T_BYTE);
    if (strtab == nullptr)
        return Error::from_code(ErrorCode::InvalidArgument, "ELF string table");
    const char *base = static_cast<const char *>(strtab->d_buf);
    for (auto [tag, offset] : strings) {
        if (offset >= strtab_size)
            return Error::from_code(ErrorCode::InvalidArgument, "ELF string offset");
        std::string text(base + offset, strnlen(base + offset, strtab_size - offset));
        if (tag == DT_NEEDED)
            info.needed.push_back(text);
        else if (tag == DT_RPATH)
            info.rpath = split_path_list(text, origin);
        else
            info.runpath = split_path_list(text, origin);
    }
    return info;
}

bool is_regular_file(const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void read_ld_so_conf(const std::string &path, std::vector<std::string> &dirs, int depth) {
    std::string text;
    if (depth > 4 || !read_file(path, text))
        return;
    std::stringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        line = line.substr(0, line.find('#'));
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
            line.pop_back();
        size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos)
            continue;
        line = line.substr(start);
        if (line.rfind("include", 0) == 0 && line.size() > 8 && std::isspace(line[7])) {
            std::string pattern = line.substr(8);
            pattern = pattern.substr(pattern.find_first_not_of(" \t"));
            if (pattern[0] != '/')
                pattern = std::filesystem::path(path).parent_path().string() + "/" + pattern;
            glob_t matches{};
            if (glob(pattern.c_str(), 0, nullptr, &matches) == 0)
                for (size_t i = 0; i < matches.gl_pathc; ++i)
                    read_ld_so_conf(matches.gl_pathv[i], dirs, depth + 1);
            globfree(&matches);
        } else if (line[0] == '/') {
            dirs.push_back(line);
        }
    }
}

} // namespace

std::vector<std::string> system_library_dirs() {
    std::vector<std::string> dirs;
    read_ld_so_conf("/etc/ld.so.conf", dirs, 0);
#if defined(__x86_64__)
    for (const char *dir : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"})
        dirs.push_back(dir);
#elif defined(__aarch64__)
    for (const char *dir : {"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"})
        dirs.push_back(dir);
#endif
    for (const char *dir : {"/lib64", "/usr/lib64", "/lib", "/usr/lib"})
        dirs.push_back(dir);
    return dirs;
}

Result<ElfClosure> resolve_elf_closure(const std::vector<std::string> &objects,
                                       const std::vector<std::string> &search_dirs) {
    if (elf_version(EV_CURRENT) == EV_NONE)
        return Error::from_code(ErrorCode::InvalidArgument, "libelf version");
    const std::vector<std::string> system_dirs =
        search_dirs.empty() ? system_library_dirs() : search_dirs;
    ElfClosure closure;
    std::set<std::string> seen_names, seen_paths;
    struct Pending {
        std::string path;
        std::vector<std::string> inherited_rpath; // DT_RPATH of the objects that loaded it
    };
    std::deque<Pending> queue;
    for (const std::string &object : objects)
        queue.push_back({object, {}});
    int first_class = ELFCLASSNONE, first_machine = EM_NONE;
    bool first = true;
    while (!queue.empty()) {
        Pending item = std::move(queue.front());
        queue.pop_front();
        ElfInfo info = NETDEXT_TRY(read_elf(item.path));
        if (first_class == ELFCLASSNONE) {
            first_class = info.elf_class;
            first_machine = info.machine;
        } else if (info.elf_class != first_class || info.machine != first_machine) {
            return Error::from_code(ErrorCode::InvalidArgument, "ELF class or machine differs");
        }
        if (first) {
            closure.interpreter = info.interpreter;
            first = false;
        }
        std::vector<std::string> rpath_chain = item.inherited_rpath;
        rpath_chain.insert(rpath_chain.end(), info.rpath.begin(), info.rpath.end());
        for (const std::string &name : info.needed) {
            if (name.empty() || name.find('/') != std::string::npos || name.size() > 255)
                return Error::from_code(ErrorCode::InvalidArgument, "DT_NEEDED is not a plain name");
            if (!seen_names.insert(name).second)
                continue;
            std::vector<std::string> dirs = info.runpath.empty() ? rpath_chain : info.runpath;
            dirs.insert(dirs.end(), system_dirs.begin(), system_dirs.end());
            // Like ld.so, skip files of another class or machine (a 32-bit library in /lib).
            std::string found;
            for (const std::string &dir : dirs) {
                std::string candidate = dir + "/" + name;
                if (!is_regular_file(candidate))
                    continue;
                auto candidate_info = read_elf(candidate);
                if (candidate_info && candidate_info.value().elf_class == first_class &&
                    candidate_info.value().machine == first_machine) {
                    found = candidate;
                    break;
                }
            }
            if (found.empty()) {
                if (closure.missing.empty())
                    closure.missing = name;
                continue;
            }
            if (!seen_paths.insert(found).second)
                continue;
            if (closure.libraries.size() >= kMaxLibraries)
                return Error::from_code(ErrorCode::InvalidArgument, "too many libraries");
            closure.libraries.push_back(found);
            queue.push_back({found, rpath_chain});
        }
    }
    return closure;
}

} // namespace netdext::sandbox
