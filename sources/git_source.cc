#include "sources/git_source.h"

#include <git2.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "absl/container/btree_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/log.h"

namespace rtr42::sources {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};
template <typename T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, Deleter<T, Free>>;
using RepoPtr = GitPtr<git_repository, git_repository_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using EntryPtr = GitPtr<git_tree_entry, git_tree_entry_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;
using RemotePtr = GitPtr<git_remote, git_remote_free>;

void InitLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

absl::Status GitError(absl::string_view what) {
  const git_error* e = git_error_last();
  return absl::UnavailableError(
      absl::StrCat(what, ": ", e && e->message ? e->message : "unknown libgit2 error"));
}

std::string OidHex(const git_oid* oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof(buf), oid);
  return buf;
}

std::string CacheName(const std::string& url) {
  std::string name;
  for (char c : url)
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return name;
}

}  // namespace

struct GitSource::Repo {
  RepoPtr repo;

  absl::StatusOr<TreePtr> CommitTree(const std::string& commit_hex) const {
    git_oid oid;
    if (git_oid_fromstr(&oid, commit_hex.c_str()) != 0) return GitError("bad commit id");
    git_commit* commit = nullptr;
    if (git_commit_lookup(&commit, repo.get(), &oid) != 0) {
      return GitError(absl::StrCat("commit ", commit_hex));
    }
    git_tree* tree = nullptr;
    int rc = git_commit_tree(&tree, commit);
    git_commit_free(commit);
    if (rc != 0) return GitError(absl::StrCat("tree of commit ", commit_hex));
    return TreePtr(tree);
  }

  // The entry at `path`, or null if there is none.
  EntryPtr Entry(git_tree* root, const char* path) const {
    git_tree_entry* entry = nullptr;
    if (git_tree_entry_bypath(&entry, root, path) != 0) return nullptr;
    return EntryPtr(entry);
  }

  absl::StatusOr<TreePtr> Subtree(const git_tree_entry* entry) const {
    git_tree* tree = nullptr;
    if (git_tree_lookup(&tree, repo.get(), git_tree_entry_id(entry)) != 0) {
      return GitError(absl::StrCat("tree ", OidHex(git_tree_entry_id(entry))));
    }
    return TreePtr(tree);
  }

  absl::StatusOr<std::string> ReadBlob(const git_oid* oid, const std::string& path) const {
    git_blob* blob = nullptr;
    if (git_blob_lookup(&blob, repo.get(), oid) != 0)
      return GitError(absl::StrCat("blob of ", path));
    BlobPtr owner(blob);
    return std::string(static_cast<const char*>(git_blob_rawcontent(blob)),
                       static_cast<size_t>(git_blob_rawsize(blob)));
  }
};

GitSource::GitSource(GitSourceOptions options, std::unique_ptr<Repo> repo, bool remote)
    : options_(std::move(options)), repo_(std::move(repo)), remote_(remote) {}

GitSource::~GitSource() = default;

bool GitSource::IsUrl(const std::string& location) {
  if (absl::StrContains(location, "://")) return true;
  // scp-like "user@host:path"
  size_t at = location.find('@'), colon = location.find(':');
  return at != std::string::npos && colon != std::string::npos && at < colon &&
         location.find('/') > colon;
}

absl::StatusOr<std::unique_ptr<GitSource>> GitSource::Open(GitSourceOptions options) {
  InitLibgit2();
  auto repo = std::make_unique<Repo>();
  bool remote = IsUrl(options.location);
  if (!remote) {
    git_repository* r = nullptr;
    if (git_repository_open_ext(&r, options.location.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH,
                                nullptr) != 0) {
      return GitError(absl::StrCat("open repository ", options.location));
    }
    repo->repo.reset(r);
  } else {
    std::string dir = options.cache_dir.empty() ? CacheDir() : options.cache_dir;
    std::string path = absl::StrCat(dir, "/", CacheName(options.location));
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    git_repository* r = nullptr;
    if (git_repository_open_bare(&r, path.c_str()) == 0) {
      repo->repo.reset(r);
      RTR42_LOG_INFO("git: using cached clone %s of %s", path, options.location);
    } else {
      RTR42_LOG_INFO("git: cloning %s into %s", options.location, path);
      git_clone_options clone_options;
      git_clone_options_init(&clone_options, GIT_CLONE_OPTIONS_VERSION);
      clone_options.bare = 1;
      if (git_clone(&r, options.location.c_str(), path.c_str(), &clone_options) != 0) {
        return GitError(absl::StrCat("clone ", options.location));
      }
      repo->repo.reset(r);
    }
  }
  return std::unique_ptr<GitSource>(new GitSource(std::move(options), std::move(repo), remote));
}

absl::Status GitSource::Fetch() {
  git_remote* r = nullptr;
  if (git_remote_lookup(&r, repo_->repo.get(), "origin") != 0) return GitError("remote origin");
  RemotePtr remote(r);
  // Mirror branches and tags into the bare cache so rev-parse of a branch
  // name sees the fetched commit.
  char* specs[] = {const_cast<char*>("+refs/heads/*:refs/heads/*"),
                   const_cast<char*>("+refs/tags/*:refs/tags/*")};
  git_strarray refspecs = {specs, 2};
  git_fetch_options fetch_options;
  git_fetch_options_init(&fetch_options, GIT_FETCH_OPTIONS_VERSION);
  if (git_remote_fetch(remote.get(), &refspecs, &fetch_options, nullptr) != 0) {
    return GitError(absl::StrCat("fetch ", options_.location));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> GitSource::ResolveCommit(const std::string& rev) const {
  git_object* obj = nullptr;
  if (git_revparse_single(&obj, repo_->repo.get(), rev.c_str()) != 0) {
    return GitError(absl::StrCat("ref '", rev, "'"));
  }
  ObjectPtr object(obj);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, object.get(), GIT_OBJECT_COMMIT) != 0) {
    return GitError(absl::StrCat("ref '", rev, "' is not a commit"));
  }
  ObjectPtr commit(peeled);
  return OidHex(git_object_id(commit.get()));
}

absl::StatusOr<std::string> GitSource::MergeBase(const std::string& a, const std::string& b) const {
  git_oid oid_a, oid_b, base;
  if (git_oid_fromstr(&oid_a, a.c_str()) != 0 || git_oid_fromstr(&oid_b, b.c_str()) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("merge base of '", a, "' and '", b, "': not commit ids"));
  }
  if (git_merge_base(&base, repo_->repo.get(), &oid_a, &oid_b) != 0) {
    return GitError(absl::StrCat("merge base of ", a, " and ", b));
  }
  return OidHex(&base);
}

absl::StatusOr<std::vector<std::string>> GitSource::FirstParentChain(const std::string& from,
                                                                     const std::string& to) const {
  std::vector<std::string> chain;
  std::string at = to;
  for (int steps = 0; steps < 100000 && at != from; ++steps) {
    chain.push_back(at);
    git_oid oid;
    git_commit* commit = nullptr;
    if (git_oid_fromstr(&oid, at.c_str()) != 0 ||
        git_commit_lookup(&commit, repo_->repo.get(), &oid) != 0)
      return GitError(absl::StrCat("commit ", at));
    bool has_parent = git_commit_parentcount(commit) > 0;
    std::string parent = has_parent ? OidHex(git_commit_parent_id(commit, 0)) : "";
    git_commit_free(commit);
    if (!has_parent) return std::vector<std::string>{to};  // `from` is not an ancestor
    at = parent;
  }
  if (at != from) return std::vector<std::string>{to};
  std::reverse(chain.begin(), chain.end());
  return chain;
}

absl::StatusOr<RegistryDelta> GitSource::DeltaBetween(const std::string& from,
                                                      const std::string& to,
                                                      bool every_class) const {
  RegistryDelta delta;
  delta.full = from.empty();
  delta.revision = to;
  absl::StatusOr<TreePtr> new_root = repo_->CommitTree(to);
  if (!new_root.ok()) return new_root.status();
  TreePtr old_root;
  if (!from.empty()) {
    absl::StatusOr<TreePtr> t = repo_->CommitTree(from);
    if (!t.ok()) return t.status();
    old_root = std::move(*t);
  }

  // The filter files: read when new or changed.
  for (const char* path : {roa::kFilterPath, roa::kFilter6Path}) {
    EntryPtr now = repo_->Entry(new_root->get(), path);
    EntryPtr before = old_root ? repo_->Entry(old_root.get(), path) : nullptr;
    if (now && before &&
        git_oid_equal(git_tree_entry_id(now.get()), git_tree_entry_id(before.get())))
      continue;
    if (!now) {
      if (before) delta.changes.push_back({path, std::nullopt});
      continue;
    }
    absl::StatusOr<std::string> text = repo_->ReadBlob(git_tree_entry_id(now.get()), path);
    if (!text.ok()) return text.status();
    delta.changes.push_back({path, std::move(*text)});
  }

  std::vector<std::string> dirs = {"data/route", "data/route6"};
  if (every_class) {
    // Every directory under data/, in either tree.
    absl::btree_set<std::string> names;
    for (git_tree* root : {new_root->get(), old_root.get()}) {
      if (root == nullptr) continue;
      EntryPtr data = repo_->Entry(root, "data");
      if (!data || git_tree_entry_type(data.get()) != GIT_OBJECT_TREE) continue;
      absl::StatusOr<TreePtr> t = repo_->Subtree(data.get());
      if (!t.ok()) return t.status();
      for (size_t i = 0; i < git_tree_entrycount(t->get()); ++i) {
        const git_tree_entry* e = git_tree_entry_byindex(t->get(), i);
        if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
          names.insert(absl::StrCat("data/", git_tree_entry_name(e)));
      }
    }
    dirs.assign(names.begin(), names.end());
  }
  // The object directories: a merge walk over two sorted entry lists.
  for (const std::string& dir_name : dirs) {
    const char* dir = dir_name.c_str();
    EntryPtr now_entry = repo_->Entry(new_root->get(), dir);
    EntryPtr before_entry = old_root ? repo_->Entry(old_root.get(), dir) : nullptr;
    if (now_entry && before_entry &&
        git_oid_equal(git_tree_entry_id(now_entry.get()), git_tree_entry_id(before_entry.get()))) {
      continue;
    }
    TreePtr now_tree, before_tree;
    if (now_entry && git_tree_entry_type(now_entry.get()) == GIT_OBJECT_TREE) {
      absl::StatusOr<TreePtr> t = repo_->Subtree(now_entry.get());
      if (!t.ok()) return t.status();
      now_tree = std::move(*t);
    }
    if (before_entry && git_tree_entry_type(before_entry.get()) == GIT_OBJECT_TREE) {
      absl::StatusOr<TreePtr> t = repo_->Subtree(before_entry.get());
      if (!t.ok()) return t.status();
      before_tree = std::move(*t);
    }
    size_t n_now = now_tree ? git_tree_entrycount(now_tree.get()) : 0;
    size_t n_before = before_tree ? git_tree_entrycount(before_tree.get()) : 0;
    size_t i = 0, j = 0;
    const std::string prefix = absl::StrCat(dir, "/");
    while (i < n_now || j < n_before) {
      const git_tree_entry* a = i < n_now ? git_tree_entry_byindex(now_tree.get(), i) : nullptr;
      const git_tree_entry* b =
          j < n_before ? git_tree_entry_byindex(before_tree.get(), j) : nullptr;
      int cmp = !a ? 1 : !b ? -1 : std::strcmp(git_tree_entry_name(a), git_tree_entry_name(b));
      if (cmp > 0) {  // only in the old tree: deleted
        if (git_tree_entry_type(b) == GIT_OBJECT_BLOB) {
          delta.changes.push_back({prefix + git_tree_entry_name(b), std::nullopt});
        }
        ++j;
        continue;
      }
      if (cmp == 0) ++j;
      ++i;
      if (git_tree_entry_type(a) != GIT_OBJECT_BLOB) continue;
      if (cmp == 0 && git_tree_entry_type(b) == GIT_OBJECT_BLOB &&
          git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b))) {
        continue;
      }
      std::string path = prefix + git_tree_entry_name(a);
      absl::StatusOr<std::string> text = repo_->ReadBlob(git_tree_entry_id(a), path);
      if (!text.ok()) return text.status();
      delta.changes.push_back({std::move(path), std::move(*text)});
    }
  }
  return delta;
}

absl::StatusOr<std::optional<RegistryDelta>> GitSource::Poll() {
  if (remote_) {
    if (absl::Status s = Fetch(); !s.ok()) return s;
  }
  absl::StatusOr<std::string> commit = ResolveCommit(options_.ref);
  if (!commit.ok()) return commit.status();
  if (*commit == confirmed_commit_) return std::nullopt;
  absl::StatusOr<RegistryDelta> delta = DeltaBetween(confirmed_commit_, *commit);
  if (!delta.ok()) return delta.status();
  pending_commit_ = *commit;
  return std::optional<RegistryDelta>(std::move(*delta));
}

void GitSource::Confirm() {
  if (!pending_commit_.empty()) confirmed_commit_ = pending_commit_;
}

std::string GitSource::Describe() const {
  return absl::StrCat("git ", options_.location, "@", options_.ref);
}

}  // namespace rtr42::sources
