// Writes that leave a file whole or as it was, even on a full disk: results.csv gains whole rows
// or none, env.json and matrix.json are the new text or the old, never a torn or empty file
// that a later reader would choke on.
#pragma once

#include <string>
#include <string_view>

namespace versus {

// Replaces `path` with `text`: written to a temporary file beside it, then renamed over it. On
// failure the temporary is removed, `path` is left as it was, and std::system_error names the
// path with the errno text.
void replace_file(const std::string& path, std::string_view text);

// Appends `text` to `fd` (opened O_APPEND) whole or not at all: a write cut short (ENOSPC,
// EFBIG) is cut back off the file before std::system_error, naming `path`, is thrown.
void append_whole(int fd, std::string_view text, const std::string& path);

}  // namespace versus
