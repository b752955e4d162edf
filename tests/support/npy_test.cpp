#include "support/npy.h"

#include <gtest/gtest.h>

#include <cstring>

#include "tests/ir/loader_test_util.h"

namespace npusim::core {
namespace {

using testing::HasProblem;
using testing::ProblemsOf;
using testing::ScratchDir;
using testing::WriteFile;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A .npy file as numpy >= 1.14 writes it: magic, version 1.0, little-endian header length, the
// dict padded with spaces to a multiple of 64 bytes including the final newline, then the data.
std::string NumpyFile(const std::string& dict, const std::string& data, int major = 1) {
  std::string header = dict;
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = std::string("\x93NUMPY", 6) + char(major) + char(0);
  const size_t n = header.size();
  out += char(n & 0xff);
  out += char((n >> 8) & 0xff);
  if (major != 1) out += std::string(2, '\0');
  return out + header + data;
}

TEST(NpyTest, DtypeIsTheSmallestThatFits) {
  EXPECT_EQ(NpyDtypeFor(8, true), "int8");
  EXPECT_EQ(NpyDtypeFor(4, false), "uint8");
  EXPECT_EQ(NpyDtypeFor(9, true), "int16");
  EXPECT_EQ(NpyDtypeFor(16, false), "uint16");
  EXPECT_EQ(NpyDtypeFor(32, true), "int32");
}

TEST(NpyTest, RoundTripsEveryDtype) {
  const std::string dir = ScratchDir();
  struct Case {
    int bits;
    bool is_signed;
    std::vector<int32_t> values;
    const char* dtype;
  } cases[] = {
      {8, true, {-128, -1, 0, 1, 127, 5}, "int8"},
      {8, false, {0, 1, 255, 128, 7, 9}, "uint8"},
      {16, true, {-32768, 32767, 0, -1, 300, 2}, "int16"},
      {16, false, {0, 65535, 1, 256, 3, 4}, "uint16"},
      {32, true, {INT32_MIN, INT32_MAX, 0, -1, 70000, 6}, "int32"},
      {4, true, {-8, 7, 0, 1, 2, 3}, "int8"},
  };
  for (const Case& c : cases) {
    const std::string path = dir + "/" + c.dtype + std::to_string(c.bits) + ".npy";
    SaveNpy(path, {1, 2, 3}, c.values, c.bits, c.is_signed);
    const NpyArray a = LoadNpy(path);
    EXPECT_EQ(a.dtype, c.dtype);
    EXPECT_EQ(a.shape, (std::vector<int64_t>{1, 2, 3}));
    EXPECT_EQ(a.values, c.values);
  }
}

TEST(NpyTest, SaveWritesNumpysLayout) {
  const std::string path = ScratchDir() + "/a.npy";
  SaveNpy(path, {3}, {1, -2, 3}, 8, true);
  const std::string bytes = ReadBytes(path);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header_len =
      static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + header_len) % 16, 0u);  // numpy requires 16-byte alignment of the data
  const std::string header = bytes.substr(10, header_len);
  EXPECT_NE(header.find("'descr': '|i1'"), std::string::npos) << header;
  EXPECT_NE(header.find("'shape': (3,)"), std::string::npos) << header;
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(bytes.substr(10 + header_len), std::string("\x01\xfe\x03", 3));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(NpyTest, SaveRejectsValuesOutsideTheType) {
  const std::string path = ScratchDir() + "/a.npy";
  EXPECT_THROW(SaveNpy(path, {2}, {1, 128}, 8, true), std::invalid_argument);
  EXPECT_THROW(SaveNpy(path, {3}, {1, 2}, 8, true), std::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(NpyTest, SaveToAMissingDirectoryNamesTheFile) {
  const std::string path = ScratchDir() + "/no/such/dir/a.npy";
  auto problems = ProblemsOf([&] { SaveNpy(path, {1}, {1}, 8, true); });
  EXPECT_TRUE(HasProblem(problems, path, "", "cannot write file"));
}

TEST(NpyTest, LoadsNumpyWrittenBytes) {
  const std::string dir = ScratchDir();
  // np.save of np.array([[1, -2], [300, -40000]], dtype=np.int32)
  std::string data;
  for (int32_t v : {1, -2, 300, -40000}) data += std::string(reinterpret_cast<char*>(&v), 4);
  const std::string path = WriteFile(
      dir + "/i4.npy", NumpyFile("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", data));
  const NpyArray a = LoadNpy(path);
  EXPECT_EQ(a.dtype, "int32");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(a.values, (std::vector<int32_t>{1, -2, 300, -40000}));
}

TEST(NpyTest, LoadsBigEndianInt64AndVersion2) {
  const std::string dir = ScratchDir();
  // '>i8' values 5, -6 (big-endian two's complement).
  const std::string data("\0\0\0\0\0\0\0\x05\xff\xff\xff\xff\xff\xff\xff\xfa", 16);
  const std::string path = WriteFile(
      dir + "/be.npy", NumpyFile("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", data, 2));
  const NpyArray a = LoadNpy(path);
  EXPECT_EQ(a.dtype, "int64");
  EXPECT_EQ(a.values, (std::vector<int32_t>{5, -6}));
}

TEST(NpyTest, LoadsHeadersLongerThan127Bytes) {
  // Header length 182 = 0xB6: its low byte has the top bit set (a sign-extension trap).
  const std::string dir = ScratchDir();
  std::string dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 1, 1), }";
  dict += std::string(110, ' ');
  const std::string file = NumpyFile(dict, std::string("\x07", 1));
  ASSERT_EQ(static_cast<unsigned char>(file[8]), 0xB6);
  const NpyArray a = LoadNpy(WriteFile(dir + "/long.npy", file));
  EXPECT_EQ(a.values, (std::vector<int32_t>{7}));
}

TEST(NpyTest, MissingFileNamesIt) {
  const std::string path = ScratchDir() + "/absent.npy";
  auto problems = ProblemsOf([&] { LoadNpy(path); });
  EXPECT_TRUE(HasProblem(problems, path, "", "cannot open file"));
}

TEST(NpyTest, BadMagicIsNotANpyFile) {
  const std::string path = WriteFile(ScratchDir() + "/x.npy", "PK\x03\x04 this is a zip");
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadNpy(path); }), path, "",
                         "not a .npy file (missing the \\x93NUMPY magic)"));
}

// float32 (either byte order) is read into `floats`; other float and bool dtypes are not.
TEST(NpyTest, Float32IsReadOtherFloatsAreRejected) {
  // 1.5f = 0x3FC00000, -2.25f = 0xC0100000.
  const std::string dir = ScratchDir();
  const std::string le =
      WriteFile(dir + "/le.npy", NumpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                                           std::string("\x00\x00\xc0\x3f\x00\x00\x10\xc0", 8)));
  const std::string be =
      WriteFile(dir + "/be.npy", NumpyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
                                           std::string("\x3f\xc0\x00\x00\xc0\x10\x00\x00", 8)));
  for (const std::string& path : {le, be}) {
    const NpyArray a = LoadNpy(path);
    EXPECT_EQ(a.dtype, "float32");
    EXPECT_EQ(a.floats, (std::vector<float>{1.5f, -2.25f}));
    EXPECT_TRUE(a.values.empty());
  }
  const std::string f8 =
      WriteFile(dir + "/f8.npy",
                NumpyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0')));
  EXPECT_TRUE(
      HasProblem(ProblemsOf([&] { LoadNpy(f8); }), f8, "",
                 "expected an integer dtype (int8, uint8, int16, uint16, int32) or float32, got '<f8'"));
}

TEST(NpyTest, TruncatedDataIsReported) {
  const std::string path = WriteFile(
      ScratchDir() + "/t.npy",
      NumpyFile("{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }", std::string(10, '\0')));
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadNpy(path); }), path, "",
                         "expected 12 data bytes for shape (2, 3) of int16, the file has 10"));
}

TEST(NpyTest, FortranOrderIsRejected) {
  const std::string path = WriteFile(
      ScratchDir() + "/fo.npy",
      NumpyFile("{'descr': '|i1', 'fortran_order': True, 'shape': (2, 2), }", std::string(4, '\0')));
  EXPECT_TRUE(
      HasProblem(ProblemsOf([&] { LoadNpy(path); }), path, "", "Fortran-order arrays are not supported"));
}

TEST(NpyTest, MalformedHeaderIsReported) {
  const std::string path = WriteFile(ScratchDir() + "/h.npy",
                                     NumpyFile("{'descr': '|i1', 'shape': (2,), }", std::string(2, '\0')));
  EXPECT_TRUE(
      HasProblem(ProblemsOf([&] { LoadNpy(path); }), path, "", "bad .npy header: header lacks one of"));
}

TEST(NpyTest, Uint32BeyondInt32IsRejected) {
  const std::string path = WriteFile(ScratchDir() + "/u4.npy",
                                     NumpyFile("{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }",
                                               std::string("\x00\x00\x00\x80", 4)));
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadNpy(path); }), path, "",
                         "value at index 0 (2147483648) does not fit in int32"));
}

}  // namespace
}  // namespace npusim::core
