// Writing uses xtensor's xt::dump_npy. Reading is hand-written: xtensor 0.24.3's reader does not
// check that the file holds as many bytes as the header promises, sign-extends header-length
// bytes >= 0x80 (breaking headers of 128+ bytes), and only casts to one fixed C++ type, while we
// must accept any integer dtype and say precisely what is wrong with a bad file.
#include "support/npy.h"

#include <cstring>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <xtensor/xadapt.hpp>
#include <xtensor/xnpy.hpp>

#include "support/atomic_file.h"
#include "support/error.h"

namespace npusim::core {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLength = 6;
// docs/formats.md "Limits": the networks' own tensor bound, and numpy's own header sizes (a few
// hundred bytes) with ample room.
constexpr int64_t kMaxElements = (int64_t{1} << 31) - 1;
constexpr uint64_t kMaxHeaderBytes = uint64_t{1} << 20;

// Parses the header's Python dict literal, e.g.
//   {'descr': '<i2', 'fortran_order': False, 'shape': (1, 8, 8, 3), }
// Every failure throws ConfigError naming the file.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  void Parse(std::string* descr, bool* fortran_order, std::vector<int64_t>* shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    Expect('{');
    while (true) {
      SkipSpace();
      if (Peek() == '}') break;
      const std::string key = StringLiteral();
      Expect(':');
      if (key == "descr") {
        *descr = StringLiteral();
        have_descr = true;
      } else if (key == "fortran_order") {
        *fortran_order = BoolLiteral();
        have_order = true;
      } else if (key == "shape") {
        *shape = Tuple();
        have_shape = true;
      } else {
        Fail("unexpected header key '" + key + "'");
      }
      SkipSpace();
      if (Peek() == ',') {
        ++i_;
        continue;
      }
      if (Peek() != '}') Fail("expected ',' or '}' in the header");
    }
    if (!have_descr || !have_order || !have_shape) {
      Fail("header lacks one of 'descr', 'fortran_order', 'shape'");
    }
  }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    throw ConfigError(path_, "", "bad .npy header: " + what);
  }
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t')) ++i_;
  }
  char Peek() { return i_ < s_.size() ? s_[i_] : '\0'; }
  void Expect(char c) {
    SkipSpace();
    if (Peek() != c) Fail(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string StringLiteral() {
    SkipSpace();
    const char quote = Peek();
    if (quote != '\'' && quote != '"') Fail("expected a string");
    const size_t end = s_.find(quote, i_ + 1);
    if (end == std::string::npos) Fail("unterminated string");
    std::string out = s_.substr(i_ + 1, end - i_ - 1);
    i_ = end + 1;
    return out;
  }
  bool BoolLiteral() {
    SkipSpace();
    if (s_.compare(i_, 4, "True") == 0) {
      i_ += 4;
      return true;
    }
    if (s_.compare(i_, 5, "False") == 0) {
      i_ += 5;
      return false;
    }
    Fail("expected True or False");
  }
  std::vector<int64_t> Tuple() {
    Expect('(');
    std::vector<int64_t> dims;
    while (true) {
      SkipSpace();
      if (Peek() == ')') break;
      if (Peek() < '0' || Peek() > '9') Fail("expected a non-negative integer in 'shape'");
      int64_t d = 0;
      while (Peek() >= '0' && Peek() <= '9') {
        if (d > (int64_t{1} << 40)) Fail("dimension too large in 'shape'");
        d = d * 10 + (s_[i_++] - '0');
      }
      dims.push_back(d);
      SkipSpace();
      if (Peek() == ',') ++i_;
      else if (Peek() != ')') Fail("expected ',' or ')' in 'shape'");
    }
    ++i_;
    return dims;
  }

  const std::string& s_;
  const std::string& path_;
  size_t i_ = 0;
};

struct Dtype {
  bool is_signed = true;
  bool is_float = false;  // float32
  int bytes = 1;
  bool big_endian = false;
  std::string name;
};

Dtype ParseDtype(const std::string& descr, const std::string& path) {
  const std::string expected =
      "expected an integer dtype (int8, uint8, int16, uint16, int32) or float32, got '" + descr + "'";
  if (descr.size() != 3) throw ConfigError(path, "", expected);
  Dtype d;
  const char order = descr[0], kind = descr[1], size = descr[2];
  if (order != '<' && order != '>' && order != '|' && order != '=') {
    throw ConfigError(path, "", expected);
  }
  if (kind == 'f' && size == '4') {
    d.is_float = true;
    d.bytes = 4;
    d.big_endian = order == '>';
    d.name = "float32";
    return d;
  }
  if ((kind != 'i' && kind != 'u') || (size != '1' && size != '2' && size != '4' && size != '8')) {
    throw ConfigError(path, "", expected);
  }
  d.is_signed = kind == 'i';
  d.bytes = size - '0';
  d.big_endian = order == '>';
  d.name = std::string(d.is_signed ? "int" : "uint") + std::to_string(8 * d.bytes);
  return d;
}

uint64_t ReadLittle(const std::string& bytes, size_t pos, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[pos + i]);
  return v;
}

uint64_t ReadBig(const std::string& bytes, size_t pos, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[pos + i]);
  return v;
}

// Sign-extends the low `bytes` bytes of `raw` when the dtype is signed.
int64_t ToInt64(uint64_t raw, const Dtype& d) {
  if (!d.is_signed || d.bytes == 8) return static_cast<int64_t>(raw);
  const int shift = 64 - 8 * d.bytes;
  return static_cast<int64_t>(raw << shift) >> shift;
}

// "(1, 8, 8, 3)", "(5,)", "()" as numpy prints shapes.
std::string ShapeTuple(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + (shape.size() == 1 ? ",)" : ")");
}

// Reads a file in stages (magic and header first, the data only once the header says how much
// there must be), so that a huge file is refused before it is read into memory.
class NpyFileReader {
 public:
  explicit NpyFileReader(const std::string& path) : in_(path, std::ios::binary) {
    if (!in_) throw ConfigError(path, "", "cannot open file");
    in_.seekg(0, std::ios::end);
    const std::streamoff end = in_.tellg();
    in_.seekg(0, std::ios::beg);
    if (end >= 0 && in_) size_ = static_cast<uint64_t>(end);
    else in_.clear();  // not seekable (a pipe): the size is known once everything is read
  }
  // The file size, when it could be learned without reading.
  std::optional<uint64_t> size() const { return size_; }
  // Appends up to `n` more bytes to `bytes`.
  void ReadMore(uint64_t n, std::string* bytes) {
    char buf[1 << 16];
    while (n > 0 && in_) {
      in_.read(buf, static_cast<std::streamsize>(std::min<uint64_t>(n, sizeof buf)));
      const auto got = static_cast<uint64_t>(in_.gcount());
      bytes->append(buf, got);
      n -= got;
    }
  }

 private:
  std::ifstream in_;
  std::optional<uint64_t> size_;
};

// Where the header's dict literal lies in the file.
struct HeaderSpan {
  size_t start = 10;
  uint64_t length = 0;
};

// Reads the magic, the format version and the header's length, then the header itself into `bytes`.
HeaderSpan ReadHeader(NpyFileReader& file, const std::string& path, std::string* bytes) {
  file.ReadMore(12, bytes);
  if (bytes->size() < kMagicLength + 4 || bytes->compare(0, kMagicLength, kMagic) != 0) {
    throw ConfigError(path, "", "not a .npy file (missing the \\x93NUMPY magic)");
  }
  const int major = static_cast<unsigned char>((*bytes)[6]);
  HeaderSpan h;
  if (major == 1) {
    h.length = ReadLittle(*bytes, 8, 2);
  } else if (major == 2 || major == 3) {
    if (bytes->size() < 12) throw ConfigError(path, "", "truncated .npy header");
    h.length = ReadLittle(*bytes, 8, 4);
    h.start = 12;
  } else {
    throw ConfigError(path, "",
                      "unsupported .npy format version " + std::to_string(major) + " (expected 1, 2 or 3)");
  }
  if (h.length > kMaxHeaderBytes) {
    throw ConfigError(path, "",
                      "header of " + std::to_string(h.length) + " bytes is too large (at most " +
                          std::to_string(kMaxHeaderBytes) + ")");
  }
  file.ReadMore(h.start + h.length - std::min<uint64_t>(bytes->size(), h.start + h.length), bytes);
  if (h.start + h.length > bytes->size()) {
    throw ConfigError(path, "", "truncated .npy header");
  }
  return h;
}

// The number of elements of `shape`, refused above kMaxElements.
int64_t ElementCount(const std::vector<int64_t>& shape, const std::string& path) {
  // Any factor may be 0, so bound the product of the non-zero ones, then multiply them all.
  int64_t nonzero = 1, elements = 1;
  for (int64_t d : shape) {
    if (d != 0 && nonzero > kMaxElements / d) {
      throw ConfigError(path, "",
                        "array too large: shape " + ShapeTuple(shape) + " (at most " +
                            std::to_string(kMaxElements) + " elements)");
    }
    if (d != 0) nonzero *= d;
    elements *= d;
  }
  return elements;
}

// Reads the data into `bytes` (after the header, at data_start) only when the file holds exactly
// data_bytes (a bounded amount); a file that cannot be sized (a pipe) is read up to one byte more
// than needed. Returns how many data bytes the file has.
uint64_t ReadData(NpyFileReader& file, uint64_t data_start, uint64_t data_bytes, std::string* bytes) {
  if (file.size() && *file.size() != data_start + data_bytes) return *file.size() - data_start;
  file.ReadMore(data_bytes + 1, bytes);
  return bytes->size() - data_start;
}

std::vector<float> DecodeFloats(const std::string& bytes, size_t pos, int64_t elements, const Dtype& dtype) {
  std::vector<float> out;
  out.reserve(elements);
  for (int64_t i = 0; i < elements; ++i, pos += 4) {
    const uint64_t raw64 = dtype.big_endian ? ReadBig(bytes, pos, 4) : ReadLittle(bytes, pos, 4);
    const uint32_t raw = static_cast<uint32_t>(raw64);
    float f;
    std::memcpy(&f, &raw, sizeof f);
    out.push_back(f);
  }
  return out;
}

std::vector<int32_t> DecodeInts(const std::string& bytes, size_t pos, int64_t elements, const Dtype& dtype,
                                const std::string& path) {
  std::vector<int32_t> out;
  out.reserve(elements);
  for (int64_t i = 0; i < elements; ++i, pos += dtype.bytes) {
    const uint64_t raw =
        dtype.big_endian ? ReadBig(bytes, pos, dtype.bytes) : ReadLittle(bytes, pos, dtype.bytes);
    const bool too_big_unsigned = !dtype.is_signed && raw > uint64_t{INT32_MAX};
    const int64_t v = ToInt64(raw, dtype);
    if (too_big_unsigned || v < INT32_MIN || v > INT32_MAX) {
      throw ConfigError(path, "",
                        "value at index " + std::to_string(i) + " (" +
                            (dtype.is_signed ? std::to_string(v) : std::to_string(raw)) +
                            ") does not fit in int32");
    }
    out.push_back(static_cast<int32_t>(v));
  }
  return out;
}

}  // namespace

NpyArray LoadNpy(const std::string& path) {
  NpyFileReader file(path);
  std::string bytes;
  const HeaderSpan header = ReadHeader(file, path, &bytes);
  std::string descr;
  bool fortran_order = false;
  NpyArray out;
  HeaderParser(bytes.substr(header.start, header.length), path).Parse(&descr, &fortran_order, &out.shape);
  const Dtype dtype = ParseDtype(descr, path);
  out.dtype = dtype.name;
  if (fortran_order && out.shape.size() >= 2) {
    throw ConfigError(path, "",
                      "Fortran-order arrays are not supported (save a C-order array, "
                      "e.g. with numpy.ascontiguousarray)");
  }
  const int64_t elements = ElementCount(out.shape, path);
  const uint64_t data_bytes = static_cast<uint64_t>(elements) * dtype.bytes;
  const uint64_t data_start = header.start + header.length;
  const uint64_t have = ReadData(file, data_start, data_bytes, &bytes);
  if (have != data_bytes) {
    throw ConfigError(path, "",
                      "expected " + std::to_string(data_bytes) + " data bytes for shape " +
                          ShapeTuple(out.shape) + " of " + dtype.name + ", the file has " +
                          std::to_string(have));
  }
  if (dtype.is_float) out.floats = DecodeFloats(bytes, data_start, elements, dtype);
  else out.values = DecodeInts(bytes, data_start, elements, dtype, path);
  return out;
}

std::string NpyDtypeFor(int bits, bool is_signed) {
  if (bits <= 8) return is_signed ? "int8" : "uint8";
  if (bits <= 16) return is_signed ? "int16" : "uint16";
  return "int32";
}

namespace {

template <typename T, typename From>
std::string DumpAs(const std::vector<int64_t>& shape, const std::vector<From>& values) {
  std::vector<T> narrow(values.begin(), values.end());
  std::vector<size_t> xshape(shape.begin(), shape.end());
  return xt::dump_npy(xt::adapt(narrow, xshape));
}

// Throws std::invalid_argument unless `shape` holds exactly `count` values.
void CheckShapeHolds(const std::string& path, const std::vector<int64_t>& shape, size_t count) {
  int64_t elements = 1;
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("SaveNpy: negative dimension for " + path);
    elements *= d;
  }
  if (elements != static_cast<int64_t>(count)) {
    throw std::invalid_argument("SaveNpy: " + path + ": shape holds " + std::to_string(elements) +
                                " values, got " + std::to_string(count));
  }
}

}  // namespace

void SaveNpy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<int32_t>& values,
             int bits, bool is_signed) {
  WriteFileAtomically(path, EncodeNpy(path, shape, values, bits, is_signed));
}

std::string EncodeNpy(const std::string& path, const std::vector<int64_t>& shape,
                      const std::vector<int32_t>& values, int bits, bool is_signed) {
  if (bits < 1 || bits > 32 || (!is_signed && bits == 32)) {
    throw std::invalid_argument("SaveNpy: unsupported type of " + std::to_string(bits) + " bits");
  }
  CheckShapeHolds(path, shape, values.size());
  const int64_t lo = is_signed ? -(int64_t{1} << (bits - 1)) : 0;
  const int64_t hi = is_signed ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < lo || values[i] > hi) {
      throw std::invalid_argument("SaveNpy: " + path + ": value " + std::to_string(values[i]) + " at index " +
                                  std::to_string(i) + " is outside " + std::to_string(lo) + ".." +
                                  std::to_string(hi));
    }
  }

  const std::string dtype = NpyDtypeFor(bits, is_signed);
  std::string bytes;
  if (dtype == "int8") bytes = DumpAs<int8_t>(shape, values);
  else if (dtype == "uint8") bytes = DumpAs<uint8_t>(shape, values);
  else if (dtype == "int16") bytes = DumpAs<int16_t>(shape, values);
  else if (dtype == "uint16") bytes = DumpAs<uint16_t>(shape, values);
  else bytes = DumpAs<int32_t>(shape, values);
  return bytes;
}

std::string EncodeNpyFloat32(const std::string& path, const std::vector<int64_t>& shape,
                             const std::vector<float>& values) {
  CheckShapeHolds(path, shape, values.size());
  return DumpAs<float>(shape, values);
}

}  // namespace npusim::core
