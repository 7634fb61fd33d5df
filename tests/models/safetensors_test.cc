#include "recd/safetensors.h"

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util/test_files.h"

namespace recd {
namespace {

using testing_util::FreshTestDir;
using testing_util::ReadFileBytes;
using testing_util::WriteFileBytes;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

std::string LengthPrefix(uint64_t n) {
  std::string out(8, '\0');
  std::memcpy(out.data(), &n, 8);
  return out;
}

template <typename T>
std::string Bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// The bytes of a safetensors file with `header` (space-padded to 8, as the
// Python library does, unless pad is false) followed by `data`.
std::string RawFile(std::string header, const std::string& data, bool pad = true) {
  if (pad) header.append((8 - header.size() % 8) % 8, ' ');
  return LengthPrefix(header.size()) + header + data;
}

std::string WriteRaw(const std::string& name, const std::string& bytes) {
  const std::string path = FreshTestDir("recd_safetensors_") + "/" + name;
  WriteFileBytes(path, bytes);
  return path;
}

// Writes a small valid file: "a" F32 [2,3], "b" I32 [3], "c" I64 [2], "e" F32 [0].
std::string WriteSample(const std::string& path) {
  SafetensorsWriter w;
  const std::vector<float> a = {1, 2, 3, 4, 5, 6.5f};
  const std::vector<int32_t> b = {-1, 0, 7};
  const std::vector<int64_t> c = {int64_t{1} << 40, -3};
  w.AddF32("a", {2, 3}, a);
  w.Add("b", DType::kI32, {3}, b.data());
  w.Add("c", DType::kI64, {2}, c.data());
  w.AddF32("e", {0}, {});
  EXPECT_TRUE(w.Write(path).ok());
  return path;
}

TEST(SafetensorsTest, RoundTripKeepsNamesShapesAndData) {
  const std::string path = WriteSample(FreshTestDir("recd_safetensors_") + "/m.safetensors");
  auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_THAT((*file)->names(), ElementsAre("a", "b", "c", "e"));

  auto a = (*file)->Get("a", DType::kF32, {2, 3});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(a->f32(), ElementsAre(1, 2, 3, 4, 5, 6.5f));
  EXPECT_EQ(a->num_elements(), 6);
  auto b = (*file)->Get("b", DType::kI32, {3});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(b->i32(), ElementsAre(-1, 0, 7));
  auto c = (*file)->Get("c", DType::kI64, {2});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->i64(), ElementsAre(int64_t{1} << 40, -3));
  auto e = (*file)->Get("e", DType::kF32, {0});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->nbytes, 0u);
  EXPECT_EQ(e->num_elements(), 0);
}

// A file rewritten in place (truncated, then written) under a reader: with a
// mapping the reader's next access would be SIGBUS; its copy must be intact.
TEST(SafetensorsTest, TruncatingTheFileInPlaceLeavesOpenTensorsReadable) {
  const std::string path = WriteSample(FreshTestDir("recd_safetensors_") + "/m.safetensors");
  auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  fs::resize_file(path, 0);
  EXPECT_THAT((*file)->Get("a")->f32(), ElementsAre(1, 2, 3, 4, 5, 6.5f));
  WriteFileBytes(path, "garbage");
  EXPECT_THAT((*file)->Get("b")->i32(), ElementsAre(-1, 0, 7));
  EXPECT_EQ(SafetensorsFile::Open(path).status().code(), absl::StatusCode::kDataLoss);
}

TEST(SafetensorsTest, TensorDataIsAlignedToElementSize) {
  // An odd number of I32s before the I64 would misalign it if the writer
  // stored tensors by name alone.
  SafetensorsWriter w;
  const std::vector<int32_t> odd = {1, 2, 3};
  const std::vector<int64_t> wide = {4, 5};
  const std::vector<float> f = {1, 2, 3};
  w.Add("a_odd", DType::kI32, {3}, odd.data());
  w.Add("b_wide", DType::kI64, {2}, wide.data());
  w.AddF32("c_f", {3}, f);
  const std::string path = FreshTestDir("recd_safetensors_") + "/m.safetensors";
  ASSERT_TRUE(w.Write(path).ok());
  auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  for (const std::string& name : (*file)->names()) {
    const TensorView v = *(*file)->Get(name);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data) % DTypeSize(v.dtype), 0u) << name;
  }
  EXPECT_EQ(reinterpret_cast<uintptr_t>((*file)->Get("c_f")->f32().data()) % 4, 0u);
}

TEST(SafetensorsTest, WrittenHeaderIsPaddedToEightBytes) {
  const std::string bytes = ReadFileBytes(WriteSample(FreshTestDir("recd_safetensors_") + "/m.safetensors"));
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(bytes[8], '{');
}

TEST(SafetensorsTest, MetadataRoundTrips) {
  SafetensorsWriter w;
  w.SetMetadata("format", "pt");
  w.SetMetadata("note", "trained on \"beauty\"");
  w.AddF32("x", {1}, std::vector<float>{1});
  const std::string path = FreshTestDir("recd_safetensors_") + "/m.safetensors";
  ASSERT_TRUE(w.Write(path).ok());
  auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->metadata().at("format"), "pt");
  EXPECT_EQ((*file)->metadata().at("note"), "trained on \"beauty\"");
  EXPECT_THAT((*file)->names(), ElementsAre("x"));
}

TEST(SafetensorsTest, WriteLeavesNoTemporaryFile) {
  const std::string dir = FreshTestDir("recd_safetensors_");
  WriteSample(dir + "/m.safetensors");
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path().filename());
  EXPECT_THAT(files, ElementsAre("m.safetensors"));
}

TEST(SafetensorsTest, ReadsFileLaidOutByPythonLibrary) {
  // What safetensors.torch.save_file writes: metadata {"format": "pt"}, the
  // header space-padded to a multiple of 8, tensors back to back.
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("ids":{"dtype":"I64","shape":[1],"data_offsets":[16,24]}})";
  const std::string path = WriteRaw(
      "py.safetensors",
      RawFile(header, Bytes(std::vector<float>{0.5f, -1, 2, 3}) + Bytes(std::vector<int64_t>{9})));
  auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  auto w = (*file)->Get("w", DType::kF32, {2, 2});
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_THAT(w->f32(), ElementsAre(0.5f, -1, 2, 3));
  EXPECT_THAT((*file)->Get("ids")->i64(), ElementsAre(9));
  EXPECT_EQ((*file)->metadata().at("format"), "pt");
}

TEST(SafetensorsTest, ReadsUnpaddedHeaderWithAlignedData) {
  // Old writers did not pad; the reader then copies the data so f32 views
  // are still aligned.
  const std::string header = R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})";
  ASSERT_NE(header.size() % 4, 0u);
  const std::string path = WriteRaw(
      "unpadded.safetensors", RawFile(header, Bytes(std::vector<float>{1, 2, 3}), /*pad=*/false));
  auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  auto w = (*file)->Get("w", DType::kF32, {3});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w->data) % 4, 0u);
  EXPECT_THAT(w->f32(), ElementsAre(1, 2, 3));
}

TEST(SafetensorsTest, MissingFileIsNotFound) {
  const std::string path = FreshTestDir("recd_safetensors_") + "/absent.safetensors";
  auto file = SafetensorsFile::Open(path);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(file.status().message()), HasSubstr(path));
}

TEST(SafetensorsTest, EmptyFileIsDataLossNamingFile) {
  const std::string path = WriteRaw("empty.safetensors", "");
  auto file = SafetensorsFile::Open(path);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(file.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("empty or truncated"));
}

TEST(SafetensorsTest, TruncatedFileIsDataLossWhereverItIsCut) {
  const std::string dir = FreshTestDir("recd_safetensors_");
  const std::string whole = ReadFileBytes(WriteSample(dir + "/whole.safetensors"));
  uint64_t header_len = 0;
  std::memcpy(&header_len, whole.data(), 8);
  // Inside the length prefix, inside the header, and inside the data.
  for (size_t cut : {size_t{3}, size_t{8 + header_len / 2}, whole.size() - 5}) {
    const std::string path = dir + "/cut" + std::to_string(cut) + ".safetensors";
    WriteFileBytes(path, whole.substr(0, cut));
    auto file = SafetensorsFile::Open(path);
    EXPECT_EQ(file.status().code(), absl::StatusCode::kDataLoss) << cut;
    EXPECT_THAT(std::string(file.status().message()), HasSubstr(path)) << cut;
    EXPECT_THAT(std::string(file.status().message()), HasSubstr("truncated")) << cut;
  }
}

TEST(SafetensorsTest, HeaderLengthBeyondFileIsDataLoss) {
  const std::string path = WriteRaw("long.safetensors", LengthPrefix(1000) + "{}      ");
  auto file = SafetensorsFile::Open(path);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("header length 1000 exceeds"));
  EXPECT_THAT(std::string(file.status().message()), HasSubstr(path));
}

TEST(SafetensorsTest, InvalidHeaderJsonIsDataLoss) {
  const std::string path = WriteRaw("bad.safetensors", RawFile(R"({"w": {"dtype": )", ""));
  auto file = SafetensorsFile::Open(path);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("not valid JSON"));
  EXPECT_THAT(std::string(file.status().message()), HasSubstr(path));
}

TEST(SafetensorsTest, HeaderThatIsNotAnObjectIsDataLoss) {
  const std::string path = WriteRaw("array.safetensors", RawFile("[1, 2]", ""));
  auto file = SafetensorsFile::Open(path);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("expected an object"));
}

TEST(SafetensorsTest, UnsupportedDtypeNamesDtypeTensorAndFile) {
  const std::string path = WriteRaw(
      "f16.safetensors", RawFile(R"({"half":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})",
                                 std::string(4, '\0')));
  auto file = SafetensorsFile::Open(path);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kUnimplemented);
  const std::string msg(file.status().message());
  EXPECT_THAT(msg, HasSubstr("unsupported dtype F16 for tensor 'half'"));
  EXPECT_THAT(msg, HasSubstr(path));
}

TEST(SafetensorsTest, UnknownDtypeStringIsRejected) {
  const std::string path = WriteRaw(
      "float.safetensors",
      RawFile(R"({"w":{"dtype":"float","shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0')));
  auto file = SafetensorsFile::Open(path);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("unsupported dtype float"));
}

TEST(SafetensorsTest, NegativeShapeIsDataLoss) {
  const std::string path = WriteRaw(
      "neg.safetensors",
      RawFile(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", std::string(4, '\0')));
  auto file = SafetensorsFile::Open(path);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("tensor 'w': shape [-1]"));
}

TEST(SafetensorsTest, OffsetsNotMatchingShapeAreDataLoss) {
  const std::string path = WriteRaw(
      "short.safetensors", RawFile(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})",
                                   std::string(16, '\0')));
  auto file = SafetensorsFile::Open(path);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kDataLoss);
  const std::string msg(file.status().message());
  EXPECT_THAT(msg, HasSubstr("tensor 'w': data_offsets [0, 12] hold 12 bytes"));
  EXPECT_THAT(msg, HasSubstr("needs 16"));
}

TEST(SafetensorsTest, OffsetsBeyondDataAreDataLossNamingTensor) {
  const std::string path =
      WriteRaw("beyond.safetensors",
               RawFile(R"({"lstm.weight_hh_l0":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                       std::string(16, '\0')));
  auto file = SafetensorsFile::Open(path);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kDataLoss);
  const std::string msg(file.status().message());
  EXPECT_THAT(msg, HasSubstr(path + ": tensor 'lstm.weight_hh_l0': data_offsets [8, 24] exceed"));
}

TEST(SafetensorsTest, OverlappingTensorsAreDataLoss) {
  const std::string path = WriteRaw(
      "overlap.safetensors", RawFile(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                                     R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                                     std::string(24, '\0')));
  auto file = SafetensorsFile::Open(path);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(file.status().message()),
              HasSubstr("tensors 'a' [0, 16] and 'b' [8, 24] overlap"));
}

TEST(SafetensorsTest, EmptyTensorsMayShareAnOffset) {
  const std::string path = WriteRaw(
      "empties.safetensors", RawFile(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                                     R"("b":{"dtype":"F32","shape":[0,5],"data_offsets":[0,0]}})",
                                     ""));
  auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_THAT((*file)->names(), ElementsAre("a", "b"));
}

TEST(SafetensorsTest, NonStringMetadataIsDataLoss) {
  const std::string path =
      WriteRaw("meta.safetensors", RawFile(R"({"__metadata__":{"epochs":3}})", ""));
  auto file = SafetensorsFile::Open(path);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("'epochs'"));
}

class SafetensorsGetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = WriteSample(FreshTestDir("recd_safetensors_") + "/m.safetensors");
    auto file = SafetensorsFile::Open(path_);
    ASSERT_TRUE(file.ok()) << file.status();
    file_ = std::move(*file);
  }
  std::string path_;
  std::unique_ptr<SafetensorsFile> file_;
};

TEST_F(SafetensorsGetTest, MissingTensorIsNotFoundNamingIt) {
  auto v = file_->Get("nope", DType::kF32, {-1});
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(v.status().message()), HasSubstr(path_ + ": no tensor 'nope'"));
}

TEST_F(SafetensorsGetTest, WrongDtypeNamesTensorAndBothDtypes) {
  auto v = file_->Get("b", DType::kF32, {3});
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(v.status().message()),
              HasSubstr(path_ + ": tensor 'b' has dtype I32, expected F32"));
}

TEST_F(SafetensorsGetTest, WrongShapeNamesTensorAndBothShapes) {
  auto v = file_->Get("a", DType::kF32, {3, 2});
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(v.status().message()),
              HasSubstr("tensor 'a' has shape [2, 3], expected [3, 2]"));
}

TEST_F(SafetensorsGetTest, WrongRankIsAShapeMismatch) {
  EXPECT_FALSE(file_->Get("a", DType::kF32, {6}).ok());
  EXPECT_FALSE(file_->Get("a", DType::kF32, {2, 3, 1}).ok());
}

TEST_F(SafetensorsGetTest, MinusOneMatchesAnySize) {
  EXPECT_TRUE(file_->Get("a", DType::kF32, {-1, 3}).ok());
  EXPECT_TRUE(file_->Get("a", DType::kF32, {-1, -1}).ok());
  EXPECT_FALSE(file_->Get("a", DType::kF32, {-1, 2}).ok());
}

TEST(SafetensorsWriterTest, AddF32WithWrongSizeFailsWrite) {
  SafetensorsWriter w;
  w.AddF32("w", {2, 2}, std::vector<float>{1, 2, 3});
  const std::string path = FreshTestDir("recd_safetensors_") + "/m.safetensors";
  absl::Status s = w.Write(path);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("tensor 'w': shape [2, 2] needs 4 floats, got 3"));
  EXPECT_FALSE(fs::exists(path));
}

TEST(SafetensorsWriterTest, ReservedMetadataNameFailsWrite) {
  SafetensorsWriter w;
  w.AddF32("__metadata__", {1}, std::vector<float>{1});
  EXPECT_EQ(w.Write(FreshTestDir("recd_safetensors_") + "/m.safetensors").code(), absl::StatusCode::kInvalidArgument);
}

TEST(SafetensorsWriterTest, WriteIntoMissingDirectoryNamesPath) {
  SafetensorsWriter w;
  w.AddF32("w", {1}, std::vector<float>{1});
  const std::string path = FreshTestDir("recd_safetensors_") + "/no/such/dir/m.safetensors";
  absl::Status s = w.Write(path);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr(path));
}

TEST(SafetensorsWriterTest, RewriteReplacesFileAtomically) {
  const std::string path = FreshTestDir("recd_safetensors_") + "/m.safetensors";
  SafetensorsWriter first;
  first.AddF32("w", {1}, std::vector<float>{1});
  ASSERT_TRUE(first.Write(path).ok());
  auto old_file = SafetensorsFile::Open(path);
  ASSERT_TRUE(old_file.ok());
  SafetensorsWriter second;
  second.AddF32("w", {2}, std::vector<float>{7, 8});
  ASSERT_TRUE(second.Write(path).ok());
  // The old reader keeps its copy; a new open sees the new file.
  EXPECT_THAT((*old_file)->Get("w")->f32(), ElementsAre(1));
  EXPECT_THAT((*SafetensorsFile::Open(path))->Get("w")->f32(), ElementsAre(7, 8));
}

}  // namespace
}  // namespace recd
