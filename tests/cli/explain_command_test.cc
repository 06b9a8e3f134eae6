// `pprl explain` on real export files: the normalised fields of two rows and the match-key
// levels they share.
#include "cli/explain_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "cli/pseudonymise_command.h"
#include "tests/status_matchers.h"
#include "tests/temp_dir.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::StatusIs;
using ::pprl::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ExplainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ostringstream log;
    ASSERT_THAT(RunKeygen({dir_.File("site.key")}, log), IsOk());
    absl::StatusOr<HmacKey> key = LoadKeyFile(dir_.File("site.key"));
    ASSERT_THAT(key.status(), IsOk());
    key_.emplace(std::move(*key));
    ::pprl::testing::WriteFile(
        dir_.File("cases.csv"),
        "casus_id;achternaam;tussenvoegsel;voorletters;voornamen;geboortedatum;geslacht;kader;"
        "first_discussed;aantal_besprekingen;leefgebieden;doelen;besluiten;acties\n"
        "VH-01;\"Berg, van der\";;J.P.;;01-02-1990;m;risicoburger;2013-03-15;2;3;ja;nee;ja\n"
        "VH-02;Meijer;;A.;;20-07-1985;v;hic;2013-04-01;1;5;1;1;0\n");
    ::pprl::testing::WriteFile(
        dir_.File("incidents.csv"),
        "incident_id,surname,surname_prefix,initials,first_names,birth_date,incident_date,"
        "category,role\n"
        "I1,van der Berg,,J.,,1990-02-01,2013-01-10,misdrijf,verdachte\n"  // line 2
        "I2,Berg,van der,JP,,1990-02-01,2013-04-10,misdrijf,verdachte\n"   // line 3
        "I3,Meyer,,A,,1985-07-20,2013-05-01,misdrijf,verdachte\n"          // line 4
        "I4,Berg,van der,K.,,1990-02-01,2013-05-01,misdrijf,verdachte\n"   // line 5: a twin
        "I5,Berg,van der,J.,,02-05-2013,2013-05-01,misdrijf,verdachte\n"   // line 6: born after the
                                                                           // incident
        "I6,Jansen,,P.,,1970-03-04,2013-05-01,misdrijf,verdachte\n");      // line 7: another
  }

  std::vector<std::string> Shared(const std::string& a_file, int64_t a_line,
                                  const std::string& b_file, int64_t b_line) {
    absl::StatusOr<ExplainedRow> a = ExplainRow(*key_, dir_.File(a_file), a_line, std::nullopt);
    absl::StatusOr<ExplainedRow> b = ExplainRow(*key_, dir_.File(b_file), b_line, std::nullopt);
    EXPECT_THAT(a.status(), IsOk());
    EXPECT_THAT(b.status(), IsOk());
    std::vector<std::string> names;
    if (!a.ok() || !b.ok()) return names;
    for (KeyLevel level : SharedLevels(*a, *b)) names.emplace_back(KeyLevelName(level));
    return names;
  }

  TempDir dir_;
  std::optional<HmacKey> key_;
};

TEST_F(ExplainTest, SharedLevelsOfTwoRows) {
  // A prefix written in the surname and a second initial missing: every level but full.
  EXPECT_THAT(Shared("cases.csv", 2, "incidents.csv", 2),
              ElementsAre("first_initial", "surname_dob", "phonetic", "day_month_swapped"));
  // The same identity written otherwise: every level.
  EXPECT_THAT(Shared("cases.csv", 2, "incidents.csv", 3),
              ElementsAre("full", "first_initial", "surname_dob", "phonetic", "day_month_swapped"));
  // Meijer and Meyer: the phonetic level only (day 20 cannot be a month: no swapped key).
  EXPECT_THAT(Shared("cases.csv", 3, "incidents.csv", 4), ElementsAre("phonetic"));
  // Twins (other initials): surname and birth date only.
  EXPECT_THAT(Shared("incidents.csv", 3, "incidents.csv", 5), ElementsAre("surname_dob"));
  EXPECT_THAT(Shared("cases.csv", 2, "incidents.csv", 7), IsEmpty());
}

TEST_F(ExplainTest, RowsShowTheNormalisedFields) {
  absl::StatusOr<ExplainedRow> a = ExplainRow(*key_, dir_.File("cases.csv"), 2, std::nullopt);
  ASSERT_THAT(a.status(), IsOk());
  EXPECT_EQ(a->kind, ExportKind::kCases);
  EXPECT_TRUE(a->valid);
  EXPECT_EQ(a->identity.prefix, "van der");
  EXPECT_EQ(a->identity.surname, "berg");
  EXPECT_EQ(a->identity.initials, "jp");
  EXPECT_EQ(a->identity.birth_date.year, 1990);
  EXPECT_EQ(a->identity.birth_date.month, 2);

  absl::StatusOr<ExplainedRow> bad = ExplainRow(*key_, dir_.File("incidents.csv"), 6, std::nullopt);
  ASSERT_THAT(bad.status(), IsOk());
  EXPECT_EQ(bad->kind, ExportKind::kIncidents);
  EXPECT_FALSE(bad->valid);
  ASSERT_FALSE(bad->errors.empty());
  EXPECT_EQ(bad->errors[0].column, "birth_date");
  EXPECT_TRUE(bad->keys.empty());
}

TEST_F(ExplainTest, TheCommandPrintsBothRowsAndTheSharedLevels) {
  ExplainOptions o;
  o.key_file = dir_.File("site.key");
  o.rows = {dir_.File("cases.csv") + ":2", dir_.File("incidents.csv") + ":2"};
  std::ostringstream out;
  ASSERT_THAT(RunExplain(o, out), IsOk());
  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("nothing was sent anywhere"));
  EXPECT_THAT(text, HasSubstr("van der"));
  EXPECT_THAT(text, HasSubstr("1990-02-01"));
  EXPECT_THAT(text, HasSubstr("from the initials column"));
  EXPECT_THAT(text,
              HasSubstr("shared levels: first_initial, surname_dob, phonetic, day_month_swapped."));

  o.rows = {dir_.File("cases.csv") + ":2", dir_.File("incidents.csv") + ":6"};
  out.str("");
  ASSERT_THAT(RunExplain(o, out), IsOk());
  EXPECT_THAT(out.str(), HasSubstr("INVALID"));
  EXPECT_THAT(out.str(), HasSubstr("incidents.csv:6: column birth_date"));
  EXPECT_THAT(out.str(), HasSubstr("an invalid row never links"));
}

// A prefixed surname also has the glued reading's keys ("El Khattabi" -> "elkhattabi"), on
// which the linker joins a register that writes the name glued; explain compared only each
// level's first key and said such rows share nothing.
TEST_F(ExplainTest, TheGluedReadingCountsAsTheLinkerCountsIt) {
  ::pprl::testing::WriteFile(
      dir_.File("glued.csv"),
      "incident_id;surname;surname_prefix;initials;birth_date;incident_date;category;role\n"
      "G1;El Khattabi;;M.;1990-02-01;2013-01-10;misdrijf;verdachte\n"    // line 2
      "G2;Elkhattabi;;M.;1990-02-01;2013-01-10;misdrijf;verdachte\n"     // line 3
      "G3;Khattabi;el;M.;1990-02-01;2013-01-10;misdrijf;verdachte\n"     // line 4
      "G4;Vanderberg;;J.;1990-02-01;2013-01-10;misdrijf;verdachte\n"     // line 5
      "G5;Berg;van der;J.;1990-02-01;2013-01-10;misdrijf;verdachte\n"    // line 6
      "G6;Berg;van der;K.;1990-02-01;2013-01-10;misdrijf;verdachte\n");  // line 7: a twin
  EXPECT_THAT(Shared("glued.csv", 2, "glued.csv", 3), ElementsAre("first_initial", "surname_dob"));
  EXPECT_THAT(Shared("glued.csv", 3, "glued.csv", 2), ElementsAre("first_initial", "surname_dob"));
  EXPECT_THAT(Shared("glued.csv", 5, "glued.csv", 6), ElementsAre("first_initial", "surname_dob"));
  EXPECT_THAT(Shared("glued.csv", 5, "glued.csv", 7), ElementsAre("surname_dob"));
  EXPECT_THAT(Shared("glued.csv", 2, "glued.csv", 4),
              ElementsAre("full", "first_initial", "surname_dob", "phonetic", "day_month_swapped"));

  ExplainOptions o;
  o.key_file = dir_.File("site.key");
  o.rows = {dir_.File("glued.csv") + ":2", dir_.File("glued.csv") + ":3"};
  std::ostringstream out;
  ASSERT_THAT(RunExplain(o, out), IsOk());
  EXPECT_THAT(out.str(), HasSubstr("glued reading   elkhattabi"));
  EXPECT_THAT(out.str(), HasSubstr("shared levels: first_initial, surname_dob."));
  EXPECT_THAT(out.str(), ::testing::Not(HasSubstr("shared levels: none")));
}

// The agent's config gives the key and the site's own column names.
TEST_F(ExplainTest, TheAgentsConfigGivesKeyAndColumns) {
  ::pprl::testing::WriteFile(
      dir_.File("bvh.csv"),
      "BVH-nummer;achternaam;tussenvoegsel;voorletters;geboortedatum;Pleegdatum;categorie;rol\n"
      "B1;Berg;van der;J.P.;1-2-1990;2013-01-10;misdrijf;verdachte\n");
  ::pprl::testing::WriteFile(dir_.File("agent.toml"),
                             "[site]\nkey_file = \"site.key\"\n[columns]\n\"BVH-nummer\" = "
                             "\"incident_id\"\n\"Pleegdatum\" = \"incident_date\"\n");
  ExplainOptions o;
  o.config_file = dir_.File("agent.toml");
  o.rows = {dir_.File("bvh.csv") + ":2", dir_.File("cases.csv") + ":2"};
  std::ostringstream out;
  ASSERT_THAT(RunExplain(o, out), IsOk());
  EXPECT_THAT(out.str(), HasSubstr("bvh.csv:2 (incidents)"));
  EXPECT_THAT(out.str(), HasSubstr("shared levels: full, first_initial, surname_dob, phonetic, "
                                   "day_month_swapped."));
}

TEST_F(ExplainTest, BadReferencesAreNamed) {
  ExplainOptions o;
  o.key_file = dir_.File("site.key");
  std::ostringstream out;
  o.rows = {dir_.File("cases.csv") + ":1", dir_.File("incidents.csv") + ":2"};
  EXPECT_THAT(RunExplain(o, out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is the header")));
  o.rows = {dir_.File("cases.csv") + ":9", dir_.File("incidents.csv") + ":2"};
  EXPECT_THAT(RunExplain(o, out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no row starts on line 9")));
  o.rows = {dir_.File("cases.csv"), dir_.File("incidents.csv") + ":2"};
  EXPECT_THAT(RunExplain(o, out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("FILE:LINE")));
  o.rows = {dir_.File("cases.csv") + ":2"};
  EXPECT_THAT(RunExplain(o, out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("two row")));
  o.key_file.clear();
  o.rows = {dir_.File("cases.csv") + ":2", dir_.File("incidents.csv") + ":2"};
  EXPECT_THAT(RunExplain(o, out), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--key")));
}

}  // namespace
}  // namespace pprl
