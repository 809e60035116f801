#include "bot/config.hpp"
#include "bot/config_detail.hpp"

#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace deploybot {
namespace {

namespace json = boost::json;
using config_detail::reader;

// Why a file cannot be read ("No such file or directory"), or nullopt when it can.
std::optional<std::string> unreadable_reason(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::generic_category().message(errno);
    char byte;
    const auto n = ::read(fd, &byte, 1);   // opening a directory succeeds; reading it does not
    const int read_errno = errno;
    ::close(fd);
    if (n < 0) return std::generic_category().message(read_errno);
    return std::nullopt;
}

// 1-based line and column of a byte offset, for parse error messages.
std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return {line, column};
}

}  // namespace

config_parse_result parse_config(std::string_view text) {
    config_parse_result out;
    json::parse_options opts;
    opts.allow_comments = true;
    opts.allow_trailing_commas = true;
    json::parser p({}, opts);
    system::error_code ec;
    const std::size_t consumed = p.write(text.data(), text.size(), ec);
    if (ec) {
        const auto [line, column] = line_column(text, consumed);
        out.problems.push_back({"config", fmt::format("invalid JSON at line {}, column {} (offset {}): {}", line,
                                                      column, consumed, ec.message())});
        return out;
    }
    const json::value doc = p.release();
    if (!doc.is_object()) {
        out.problems.push_back({"config", "must be a JSON object"});
        return out;
    }
    reader r;
    r.read_config(doc.get_object(), out.cfg);
    out.problems = std::move(r.problems);
    return out;
}

config_parse_result load_config_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        config_parse_result out;
        out.problems.push_back({"config", fmt::format("cannot read {}", path)});
        return out;
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad()) {
        config_parse_result out;
        out.problems.push_back({"config", fmt::format("cannot read {}", path)});
        return out;
    }
    auto out = parse_config(buf.str());
    for (auto& p : check_config_files(out.cfg)) out.problems.push_back(std::move(p));
    return out;
}

std::vector<config_problem> check_config_files(const config& cfg) {
    std::vector<config_problem> problems;
    if (cfg.tls.ca_file) {
        if (const auto why = unreadable_reason(*cfg.tls.ca_file))
            problems.push_back({"tls.ca_file", fmt::format("cannot read {}: {}", *cfg.tls.ca_file, *why)});
    }
    return problems;
}

std::vector<config_problem> check_storage_path(const config& cfg) {
    namespace fs = std::filesystem;
    std::vector<config_problem> problems;
    auto problem = [&](std::string message) { problems.push_back({"storage.path", std::move(message)}); };
    const fs::path file(cfg.storage.path);
    const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    std::error_code ec;
    const auto dir_status = fs::status(dir, ec);
    if (!fs::exists(dir_status)) {
        if (ec && ec != std::errc::no_such_file_or_directory)
            problem(fmt::format("cannot look at directory {}: {}", dir.string(), ec.message()));
        else
            problem(fmt::format("directory {} does not exist", dir.string()));
        return problems;
    }
    if (!fs::is_directory(dir_status)) {
        problem(fmt::format("{} is not a directory", dir.string()));
        return problems;
    }
    // The bot creates the file, and SQLite its -wal and -shm files, in this directory.
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        problem(fmt::format("directory {} is not writable: {}", dir.string(), std::generic_category().message(errno)));
        return problems;
    }
    const auto file_status = fs::status(file, ec);
    if (!fs::exists(file_status)) return problems;   // created on first start
    if (fs::is_directory(file_status)) {
        problem(fmt::format("{} is a directory, not a database file", file.string()));
        return problems;
    }
    if (::access(file.c_str(), R_OK | W_OK) != 0) {
        problem(fmt::format("{} is not readable and writable: {}", file.string(),
                            std::generic_category().message(errno)));
        return problems;
    }
    // Every SQLite 3 file starts with this header; an empty file is a new database.
    static constexpr std::string_view sqlite_header{"SQLite format 3\0", 16};
    std::ifstream in(file, std::ios::binary);
    std::string head(sqlite_header.size(), '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    if (!head.empty() && head != sqlite_header)
        problem(fmt::format("{} is not a SQLite database (it does not start with the SQLite header); move it "
                            "away or point storage.path elsewhere",
                            file.string()));
    return problems;
}

std::vector<config_problem> validate_secrets(const secrets& s) {
    std::vector<config_problem> problems;
    // Messages describe the expected shape only; the value itself never appears.
    if (s.slack_app_token.empty())
        problems.push_back({"SLACK_APP_TOKEN",
                            "missing — create an app-level token with scope connections:write under Basic "
                            "Information → App-Level Tokens"});
    else if (!s.slack_app_token.starts_with("xapp-"))
        problems.push_back({"SLACK_APP_TOKEN",
                            "must start with xapp- (an app-level token with scope connections:write from Basic "
                            "Information → App-Level Tokens, not the bot token)"});
    if (s.slack_bot_token.empty())
        problems.push_back({"SLACK_BOT_TOKEN",
                            "missing — install the app to the workspace and copy the Bot User OAuth Token from "
                            "OAuth & Permissions"});
    else if (!s.slack_bot_token.starts_with("xoxb-"))
        problems.push_back({"SLACK_BOT_TOKEN",
                            "must start with xoxb- (the Bot User OAuth Token from OAuth & Permissions, not a user "
                            "or app-level token)"});
    if (s.github_token.empty())
        problems.push_back({"GITHUB_TOKEN",
                            "missing — create a fine-grained personal access token (GitHub → Settings → Developer "
                            "settings) with read access to contents, pull requests, checks and commit statuses of "
                            "github.repo"});
    if (s.vercel_token.empty())
        problems.push_back({"VERCEL_TOKEN",
                            "missing — create a token under Vercel → Account Settings → Tokens with access to the "
                            "team that owns vercel.project"});
    return problems;
}

}  // namespace deploybot
