// The RTR state a cache keeps across restarts: session id, serial, the
// current set and the retained serial-to-serial diffs (one Update holds all
// of them), written to one file so that a router's Serial Query after a
// restart still gets a diff rather than a Cache Reset.
//
// The file is binary: a magic line, a format version, the Update, and a
// SHA-256 of everything before it. Saving is atomic (temporary file, fsync,
// rename, directory fsync). Loading checks the hash and every field; any
// damage is an error that names the file and what is wrong, and nothing of a
// damaged file is used.
#ifndef RTR42_RTR_STATE_FILE_H_
#define RTR42_RTR_STATE_FILE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rtr/history.h"

namespace rtr42::rtr {

// The file's name inside a --state-dir.
inline constexpr char kStateFileName[] = "rtr-state.bin";

struct StateFile {
  std::shared_ptr<const Update> update;
  absl::Time saved;  // when the file was written
};

// The bytes of `update`, and their inverse. `source` names the bytes in
// errors (a path).
std::string EncodeStateFile(const Update& update, absl::Time saved = absl::Now());
absl::StatusOr<StateFile> DecodeStateFile(absl::string_view bytes, absl::string_view source);

absl::Status SaveStateFile(const Update& update, const std::string& path);
// NotFoundError when there is no file; DataLossError when it is damaged.
absl::StatusOr<StateFile> LoadStateFile(const std::string& path);

// Makes sure no state file at `path` can be loaded again (after a failed
// save, an older file would let a restart reuse a serial for another set):
// removes it, or, where the directory does not allow that, overwrites its
// header in place. Ok if either worked or there is no file; the error says
// both failed.
absl::Status InvalidateStateFile(const std::string& path);

// Removes the temporary files a save killed midway leaves beside `path`
// (path + ".tmpXXXXXX"); returns how many.
int RemoveStaleTemporaries(const std::string& path);

}  // namespace rtr42::rtr

#endif  // RTR42_RTR_STATE_FILE_H_
