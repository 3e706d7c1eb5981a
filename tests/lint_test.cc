// bird-rpki-lint: the fixtures (every finding asserted at its line, no
// finding elsewhere), the tokenizer and parser on edge cases, the output
// formats and the command line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "lint/analyzer.h"
#include "lint/parser.h"
#include "lint/report.h"
#include "lint/token.h"
#include "tests/test_util.h"

namespace rtr42::lint {
namespace {

namespace fs = std::filesystem;
using ::rtr42::testing::RunCommand;
using ::rtr42::testing::TempDir;
using ::rtr42::testing::WriteFile;

const std::string kFixtures = RTR42_SOURCE_DIR "/tests/lint";

struct Result {
  std::shared_ptr<TokenStream> tokens;  // findings point at its file names
  absl::Status status;
  Analysis analysis;
  std::set<std::string> expected;  // "file:line rule"
  std::set<std::string> found;
  std::string bird_version;
};

Result Lint(const std::string& path) {
  Result r;
  absl::StatusOr<TokenStream> tokens = Tokenize(path);
  if (!tokens.ok()) {
    r.status = tokens.status();
    return r;
  }
  absl::StatusOr<Config> config = Parse(*tokens);
  if (!config.ok()) {
    r.status = config.status();
    return r;
  }
  r.tokens = std::make_shared<TokenStream>(std::move(*tokens));
  r.analysis = Analyze(*config, *r.tokens);
  for (const Finding& f : r.analysis.findings) {
    r.found.insert(absl::StrCat(*f.location.file, ":", f.location.line, " ", f.rule));
  }
  // "# expect: RULE" markers in every file read (includes too).
  for (const auto& file : r.tokens->files) {
    std::ifstream in(*file);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (n == 1 && line.rfind("# bird: ", 0) == 0) r.bird_version = line.substr(8);
      size_t at = line.find("# expect: ");
      if (at != std::string::npos)
        r.expected.insert(absl::StrCat(*file, ":", n, " ", line.substr(at + 10)));
    }
  }
  return r;
}

std::vector<std::string> Fixtures(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kFixtures + "/" + dir)) {
    if (e.path().extension() == ".conf") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(LintFixturesTest, SignallingConfigurationsAreFlaggedAtTheirLines) {
  std::vector<std::string> files = Fixtures("signalling");
  ASSERT_GE(files.size(), 15u);
  for (const std::string& f : files) {
    Result r = Lint(f);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_FALSE(r.expected.empty()) << f << " has no '# expect:' marker";
    EXPECT_EQ(r.found, r.expected) << f;
  }
}

TEST(LintFixturesTest, CleanConfigurationsHaveNoFinding) {
  std::vector<std::string> files = Fixtures("clean");
  ASSERT_GE(files.size(), 15u);
  for (const std::string& f : files) {
    Result r = Lint(f);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_TRUE(r.found.empty()) << f << ": " << *r.found.begin();
  }
}

TEST(LintFixturesTest, Bird20FixturesParseWithBird) {
  if (RunCommand("command -v bird >/dev/null") != 0)
    GTEST_SKIP() << "bird (Debian bird2) is not installed";
  int checked = 0;
  for (const char* dir : {"signalling", "clean"}) {
    for (const std::string& f : Fixtures(dir)) {
      if (Lint(f).bird_version != "2.0") continue;
      std::string out;
      int rc = RunCommand("cd " + fs::path(f).parent_path().string() + " && bird -p -c " +
                              fs::path(f).filename().string() + " 2>&1",
                          &out);
      EXPECT_EQ(rc, 0) << f << ": " << out;
      ++checked;
    }
  }
  EXPECT_GE(checked, 30);
}

TEST(LintFixturesTest, SuppressionIsCounted) {
  Result r = Lint(kFixtures + "/clean/17-suppressed.conf");
  EXPECT_EQ(r.analysis.suppressed, 1u);
}

TEST(LintFixturesTest, ExportStrippingIsNoted) {
  Result r = Lint(kFixtures + "/signalling/18-stripped-on-export.conf");
  ASSERT_EQ(r.analysis.findings.size(), 1u);
  const auto& notes = r.analysis.findings[0].notes;
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes.back().message.find("removed again on export"), std::string::npos);
  EXPECT_EQ(notes.back().location.line, 14);
}

// --- tokenizer and parser
absl::Status LintText(const std::string& text, Analysis* out = nullptr) {
  absl::StatusOr<TokenStream> tokens = TokenizeText("t.conf", text);
  if (!tokens.ok()) return tokens.status();
  absl::StatusOr<Config> config = Parse(*tokens);
  if (!config.ok()) return config.status();
  if (out) *out = Analyze(*config, *tokens);
  return absl::OkStatus();
}

TEST(LintParserTest, ErrorsNameFileLineAndColumn) {
  absl::Status s = LintText("filter f {\n  if net = then accept;\n}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().substr(0, 11), "t.conf:2:12") << s;
  s = LintText("filter f { accept; ");
  EXPECT_FALSE(s.ok());
  s = LintText("/* never closed");
  EXPECT_NE(s.message().find("t.conf:1:1: unterminated"), std::string::npos) << s;
  s = LintText("define x = \"open;\n");
  EXPECT_NE(s.message().find("unterminated string"), std::string::npos) << s;
}

TEST(LintInputTest, OnlyRegularFilesAndBoundedInput) {
  TempDir dir;
  std::string d = dir.path();
  ASSERT_EQ(RunCommand("mkfifo " + d + "/fifo && mkdir " + d + "/sub"), 0);
  struct Case {
    std::string include, error;
  } cases[] = {{"/dev/zero", "cannot read /dev/zero: is not a regular file"},
               {"fifo", "fifo: is not a regular file"},
               {"sub", "sub: is a directory"}};
  for (const Case& c : cases) {
    WriteFile(d + "/top.conf", "include \"" + c.include + "\";\n");
    absl::StatusOr<TokenStream> t = Tokenize(d + "/top.conf");
    ASSERT_FALSE(t.ok()) << c.include;
    EXPECT_NE(t.status().message().find(c.error), std::string::npos) << t.status();
  }
  // Ten files of ten includes each, eight levels deep: 10^8 reads without a
  // bound; the bound ends it.
  for (int level = 1; level <= 8; ++level) {
    for (int k = 0; k < 10; ++k) {
      WriteFile(absl::StrCat(d, "/l", level, "-", k, ".conf"),
                absl::StrCat("include \"l", level + 1, "-*.conf\";\n"));
    }
  }
  WriteFile(d + "/tree.conf", "include \"l1-*.conf\";\n");
  absl::StatusOr<TokenStream> t = Tokenize(d + "/tree.conf");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("files read (an include tree that multiplies)"),
            std::string::npos)
      << t.status();
  // More than kMaxInputBytes in all.
  std::string chunk(8 << 20, '#');
  chunk += "\n";
  for (int k = 0; k < 9; ++k) WriteFile(absl::StrCat(d, "/big", k, ".conf"), chunk);
  WriteFile(d + "/big.conf", "include \"big?.conf\";\n");
  t = Tokenize(d + "/big.conf");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("larger than 64 MiB"), std::string::npos) << t.status();
}

TEST(LintParserTest, NeverCrashesOnGarbage) {
  std::mt19937 rng(7);
  const std::string alphabet =
      "filter function{}()[];,=!~&|.:*+-/ \n#\"abc01x if then else case ROA_VALID roa_check";
  for (int i = 0; i < 2000; ++i) {
    std::string text;
    int n = static_cast<int>(rng() % 200);
    for (int k = 0; k < n; ++k) text += alphabet[rng() % alphabet.size()];
    (void)LintText(text);  // any status, no crash
  }
  std::string deep =
      "filter f { if " + std::string(5000, '(') + "1" + std::string(5000, ')') + " then accept; }";
  EXPECT_FALSE(LintText(deep).ok());
}

TEST(LintParserTest, ThreeTuplesAreLargeUnlessTypedAndDefinesResolve) {
  Analysis a;
  ASSERT_TRUE(LintText(R"(
define MYAS = 64512;
define TAG = (MYAS, 7, 8);
filter f {
  if roa_check(t) = ROA_INVALID then bgp_large_community.add(TAG);
  if roa_check(t) = ROA_VALID then bgp_ext_community.add((ro, MYAS, 9));
  accept;
})",
                       &a)
                  .ok());
  ASSERT_EQ(a.findings.size(), 2u);
  EXPECT_NE(a.findings[0].message.find("bgp_large_community (64512, 7, 8)"), std::string::npos)
      << a.findings[0].message;
  EXPECT_NE(a.findings[1].message.find("bgp_ext_community (ro, 64512, 9)"), std::string::npos);
}

TEST(LintParserTest, AcceptInsideAFunctionEndsTheFilter) {
  Analysis a;
  ASSERT_TRUE(LintText(R"(
function drop_invalid() {
  if roa_check(t) = ROA_INVALID then { bgp_community.add((1, 2)); reject; }
  if roa_check(t) = ROA_VALID then accept;
}
filter f {
  drop_invalid();
  bgp_community.add((1, 3));
  accept;
})",
                       &a)
                  .ok());
  // (1, 3) is only on ROA_UNKNOWN routes: VALID ones were accepted inside the function.
  ASSERT_EQ(a.findings.size(), 1u);
  EXPECT_NE(a.findings[0].message.find("(1, 3)"), std::string::npos);
  EXPECT_NE(a.findings[0].message.find("tagged: ROA_UNKNOWN;"), std::string::npos)
      << a.findings[0].message;
}

TEST(LintIncludeTest, RelativeGlobsInOrderCyclesAndDepth) {
  TempDir dir;
  WriteFile(dir.path() + "/main.conf", "include \"parts/*.conf\";\nfilter f { b(); accept; }\n");
  WriteFile(dir.path() + "/parts/a.conf", "function a() { return 1; }\n");
  WriteFile(
      dir.path() + "/parts/b.conf",
      "function b() {\n  if roa_check(t) = ROA_INVALID then bgp_community.add((1, a()));\n}\n");
  absl::StatusOr<TokenStream> tokens = Tokenize(dir.path() + "/main.conf");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->files.size(), 3u);
  EXPECT_EQ(fs::path(*tokens->files[1]).filename(), "a.conf");  // alphabetical
  Result r = Lint(dir.path() + "/main.conf");
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.analysis.findings.size(), 1u);
  EXPECT_EQ(fs::path(*r.analysis.findings[0].location.file).filename(), "b.conf");
  EXPECT_EQ(r.analysis.findings[0].location.line, 2);
  EXPECT_NE(r.analysis.findings[0].message.find("(1, 1)"), std::string::npos);

  WriteFile(dir.path() + "/loop.conf", "include \"loop2.conf\";\n");
  WriteFile(dir.path() + "/loop2.conf", "filter g { accept; }\ninclude \"loop.conf\";\n");
  absl::StatusOr<TokenStream> loop = Tokenize(dir.path() + "/loop.conf");
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.status().message().find("loop2.conf:2:1: include cycle"), std::string::npos)
      << loop.status();

  WriteFile(dir.path() + "/missing.conf", "filter h {\n  include \"nope.conf\";\n}\n");
  absl::StatusOr<TokenStream> missing = Tokenize(dir.path() + "/missing.conf");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.conf:2:3: cannot read"), std::string::npos);

  for (int i = 0; i < 12; ++i) {
    WriteFile(dir.path() + "/d" + std::to_string(i) + ".conf",
              "include \"d" + std::to_string(i + 1) + ".conf\";\n");
  }
  WriteFile(dir.path() + "/d12.conf", "\n");
  absl::StatusOr<TokenStream> deep = Tokenize(dir.path() + "/d0.conf");
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("deeper than"), std::string::npos);
}

TEST(LintIncludeTest, IncludeInsideAFilterBody) {
  TempDir dir;
  WriteFile(dir.path() + "/main.conf", "filter f {\n  include \"body.conf\";\n  accept;\n}\n");
  WriteFile(dir.path() + "/body.conf",
            "if roa_check(t) = ROA_VALID then bgp_community.add((9, 9));\n");
  Result r = Lint(dir.path() + "/main.conf");
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.analysis.findings.size(), 1u);
  EXPECT_EQ(fs::path(*r.analysis.findings[0].location.file).filename(), "body.conf");
}

// --- output and command line
TEST(LintReportTest, JsonAndSarifAreWellFormed) {
  Result r = Lint(kFixtures + "/signalling/01-direct.conf");
  auto json = nlohmann::json::parse(Render(ReportFormat::kJson, r.analysis.findings, {}));
  ASSERT_EQ(json["findings"].size(), 1u);
  EXPECT_EQ(json["findings"][0]["rule"], "validation-state-community");
  EXPECT_EQ(json["findings"][0]["line"], 9);
  EXPECT_FALSE(json["findings"][0]["notes"].empty());
  auto sarif = nlohmann::json::parse(
      Render(ReportFormat::kSarif, r.analysis.findings, {SourceError{"x.conf", 3, 4, "bad"}}));
  EXPECT_EQ(sarif["version"], "2.1.0");
  const auto& run = sarif["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "bird-rpki-lint");
  EXPECT_EQ(run["tool"]["driver"]["rules"].size(), Rules().size());
  EXPECT_EQ(run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"], 9);
  EXPECT_EQ(run["results"][1]["level"], "error");
  EXPECT_EQ(run["results"][1]["locations"][0]["physicalLocation"]["region"]["startColumn"], 4);
  std::string github = Render(ReportFormat::kGithub, r.analysis.findings, {});
  EXPECT_EQ(github.rfind("::warning file=", 0), 0u);
  EXPECT_NE(github.find(",line=9,col=5,title=validation-state-community::"), std::string::npos);
  EXPECT_EQ(std::count(github.begin(), github.end(), '\n'), 1);
}

TEST(LintReportTest, ParseErrorsKeepTheirPlaceAsAStruct) {
  absl::StatusOr<TokenStream> tokens =
      TokenizeText("odd:name.conf", "filter f {\n  if x = then reject;\n}\n");
  ASSERT_TRUE(tokens.ok());
  absl::StatusOr<Config> config = Parse(*tokens);
  ASSERT_FALSE(config.ok());
  SourceError e = SourceErrorOf(config.status());
  EXPECT_EQ(e.file, "odd:name.conf");  // a ':' in the name does not confuse it
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 10);
  EXPECT_EQ(e.message, "unexpected 'then' in an expression");
  EXPECT_EQ(e.ToString(), std::string(config.status().message()));
}

TEST(LintCommandTest, ExitStatusAndExplain) {
  std::string tool = ::rtr42::testing::ToolDir() + "/bird-rpki-lint";
  std::string out;
  EXPECT_EQ(RunCommand(tool + " " + kFixtures + "/clean/01-reject-invalid.conf", &out), 0) << out;
  out.clear();
  EXPECT_EQ(RunCommand(tool + " " + kFixtures + "/signalling/01-direct.conf", &out), 1);
  EXPECT_NE(out.find("01-direct.conf:9:5: warning: [validation-state-community]"),
            std::string::npos)
      << out;
  TempDir dir;
  WriteFile(dir.path() + "/bad.conf", "filter f {\n  if then\n}\n");
  out.clear();
  EXPECT_EQ(RunCommand(tool + " " + dir.path() + "/bad.conf", &out), 2);
  EXPECT_NE(out.find("bad.conf:2:6: error:"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(tool + " --bogus 2>/dev/null"), 2);
  EXPECT_EQ(RunCommand(tool + " 2>/dev/null"), 2);
  out.clear();
  EXPECT_EQ(RunCommand(tool + " --explain rfc8097-community", &out), 0);
  EXPECT_NE(out.find("RFC 8097"), std::string::npos);
  EXPECT_EQ(RunCommand(tool + " --explain nothing 2>/dev/null"), 2);
}

TEST(LintExamplesTest, ReadmeBirdExamplesAreClean) {
  std::ifstream in(RTR42_SOURCE_DIR "/README.md");
  std::string line, block;
  bool inside = false;
  int blocks = 0;
  TempDir dir;
  while (std::getline(in, line)) {
    if (!inside && line == "```bird") {
      inside = true;
      block = "router id 192.0.2.1;\nprotocol device {}\n";
      continue;
    }
    if (inside && line == "```") {
      inside = false;
      std::string path = dir.path() + "/example" + std::to_string(++blocks) + ".conf";
      WriteFile(path, block);
      Result r = Lint(path);
      ASSERT_TRUE(r.status.ok()) << r.status;
      EXPECT_TRUE(r.found.empty()) << block;
      if (RunCommand("command -v bird >/dev/null") == 0) {
        std::string out;
        EXPECT_EQ(RunCommand("bird -p -c " + path + " 2>&1", &out), 0) << out << block;
      }
      continue;
    }
    if (inside) block += line + "\n";
  }
  EXPECT_GE(blocks, 1);
}

}  // namespace
}  // namespace rtr42::lint
