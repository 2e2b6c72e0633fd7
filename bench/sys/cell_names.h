// The names a repetition gives the OS objects it creates outside its own memory: POSIX
// shared-memory objects, message queues and a temporary folder. They carry the repetition's
// process group, so the harness can find and remove whatever a crashed or careless cell left.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace versus {

// A name for a POSIX shared-memory object or message queue a cell creates: "/versus.G.what",
// G being the repetition's process group. The name is recorded, and whatever the cell leaves
// under it, and in the temporary folder $TMPDIR it is given, the harness removes afterwards.
std::string cell_ipc_name(std::string_view what);

// The temporary folder of the repetition whose process group is `group`.
std::string cell_tmp_folder(pid_t group);

// Removes what the repetition of `group` left under its names and in its temporary folder;
// returns how many entries there were.
int remove_cell_names(pid_t group);

}  // namespace versus
