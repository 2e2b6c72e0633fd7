// The names a repetition gives the OS objects it creates outside its own memory: POSIX
// shared-memory objects, message queues and a temporary folder. They carry the repetition's
// process group, so the harness can find and remove whatever a crashed or careless cell left,
// and the next run whatever a run that was itself killed (SIGKILL, a power cut) could not.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace versus {

// Where cells' temporary folders and the record of their names go: $TMPDIR when it names a
// folder, else /tmp. Read once per process, at the first call: the harness calls it before a
// repetition sets TMPDIR to its own folder, and every process forked from it inherits the answer.
const std::string& cell_tmp_root();

// A name for a POSIX shared-memory object or message queue a cell creates: "/versus.G.what",
// G being the repetition's process group. The name is recorded, and whatever the cell leaves
// under it, and in the temporary folder $TMPDIR it is given, the harness removes afterwards.
std::string cell_ipc_name(std::string_view what);

// The temporary folder of the repetition whose process group is `group`: ROOT/versus.G.
std::string cell_tmp_folder(pid_t group);

// Removes what the repetition of `group` left under its names and in its temporary folder;
// returns how many entries there were.
int remove_cell_names(pid_t group);

// The process group G a name of a cell carries ("versus.G", "versus.G.names", "versus.G.what"
// as /dev/shm lists "/versus.G.what"), else 0.
pid_t cell_group_in(std::string_view name);
// No process of `group` runs any more (zombies waiting to be reaped do not count; a group this
// process may not signal does).
bool group_ended(pid_t group);

// Removes what repetitions of earlier runs left in cell_tmp_root() and under their names when
// those runs could not: a repetition's whose process group is gone and whose record is older
// than a few seconds (younger ones may be in the hands of a run that is removing them now).
// Returns how many repetitions' leftovers were removed.
int remove_abandoned_cell_names();

}  // namespace versus
