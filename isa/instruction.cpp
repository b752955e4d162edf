#include <sstream>

#include "isa/instruction.h"

namespace npusim::isa {

const char* OpcodeName(Opcode op) {
  switch (op) {
    case Opcode::kLoad: return "LOAD";
    case Opcode::kStore: return "STORE";
    case Opcode::kConv: return "CONV";
    case Opcode::kRequant: return "REQUANT";
    case Opcode::kAdd: return "ADD";
    case Opcode::kMul: return "MUL";
    case Opcode::kLookup: return "LOOKUP";
    case Opcode::kPool: return "POOL";
  }
  return "?";
}

const char* QueueName(Queue q) {
  switch (q) {
    case Queue::kLoad: return "load";
    case Queue::kStore: return "store";
    case Queue::kCompute: return "compute";
    case Queue::kPost: return "post";
  }
  return "?";
}

Queue QueueOf(Opcode op) {
  switch (op) {
    case Opcode::kLoad: return Queue::kLoad;
    case Opcode::kStore: return Queue::kStore;
    case Opcode::kConv: return Queue::kCompute;
    case Opcode::kRequant:
    case Opcode::kAdd:
    case Opcode::kMul:
    case Opcode::kLookup:
    case Opcode::kPool: return Queue::kPost;
  }
  return Queue::kPost;
}

namespace {

// "dram+0x1f00" or "b2+0x40": buffer-relative addresses read better than raw 41-bit numbers.
std::string Addr(uint64_t a) {
  std::ostringstream s;
  int space = AddressSpace(a);
  if (space < 0) {
    s << "dram+0x" << std::hex << a;
  } else {
    s << "b" << space << "+0x" << std::hex << (a - BufferBase(space));
  }
  return s.str();
}

std::string Type(const ElemType& t) { return (t.is_signed ? "i" : "u") + std::to_string(t.bits); }

// " ring=BASE+BYTES" for a CONV whose input tile lies in a ring, else "".
std::string RingText(const ConvArgs& c) {
  if (c.in_ring_bytes <= 0) return "";
  return " ring=" + Addr(c.in_ring_base) + "+" + std::to_string(c.in_ring_bytes);
}

void FormatArgs(std::ostream& s, const Instruction& in) {
  switch (in.op) {
    case Opcode::kLoad:
    case Opcode::kStore: {
      const DmaArgs& d = in.dma();
      s << Addr(d.src) << " -> " << Addr(d.dst) << " " << d.planes << "x" << d.rows << "x" << d.row_bytes
        << "B src_stride=[" << d.src_stride[1] << "," << d.src_stride[0] << "] dst_stride=["
        << d.dst_stride[1] << "," << d.dst_stride[0] << "]";
      return;
    }
    case Opcode::kConv: {
      const ConvArgs& c = in.conv();
      s << "in=" << Addr(c.in_addr) << "[" << c.in_h << "x" << c.in_w << "x" << c.in_c << "]"
        << Type(c.in_type) << " w=" << Addr(c.w_addr) << "[" << c.out_c << "x" << c.kh << "x" << c.kw << "x"
        << c.in_c / c.groups << "]" << Type(c.w_type) << " acc=" << Addr(c.acc_addr) << "[" << c.out_h << "x"
        << c.out_w << "x" << c.out_c << "] stride=" << c.stride_h << "," << c.stride_w
        << " dil=" << c.dilation_h << "," << c.dilation_w << " pad=" << c.pad_top << "," << c.pad_left
        << " groups=" << c.groups << " zp=" << c.in_zero_point << "," << c.w_zero_point
        << (c.first ? (c.init_bias ? " init=bias" : " init=0") : " accumulate")
        << " params=" << Addr(c.params_addr);
      s << RingText(c);
      if (c.dataflow != Dataflow::kUnit) {
        s << " map=" << c.part_rows << "x" << c.part_cols << ":m" << c.split_m << "n" << c.split_n << "k"
          << c.split_k << ":" << DataflowName(c.dataflow);
      }
      if (c.w_bytes > 0) {
        s << " wfmt=" << core::WeightFormatName(c.w_format) << ":" << c.w_bytes << "B"
          << (c.w_groups_span_taps ? ":span_taps" : "");
        if (c.w_tile >= 0) s << " wtile=" << c.w_tile;
      }
      return;
    }
    case Opcode::kRequant: {
      const RequantArgs& r = in.requant();
      s << "acc=" << Addr(r.acc_addr) << " -> " << Addr(r.out_addr) << " [" << r.count << "x" << r.channels
        << "]" << Type(r.out_type);
      if (r.passthrough()) {
        s << " pass";  // int32 accumulators written as they are: no params, zero point or clamp
        return;
      }
      s << " params=" << Addr(r.params_addr) << " zp=" << r.out_zero_point << " clamp=[" << r.out_min << ","
        << r.out_max << "]";
      return;
    }
    case Opcode::kAdd:
    case Opcode::kMul: {
      const EltwiseArgs& a = in.eltwise();
      s << Addr(a.a_addr) << (in.op == Opcode::kAdd ? " + " : " * ") << Addr(a.b_addr);
      if (a.b_count != a.count) s << "[" << a.b_count << "]";
      s << " -> " << Addr(a.out_addr) << " n=" << a.count << " clamp=[" << a.out_min << "," << a.out_max
        << "]";
      return;
    }
    case Opcode::kLookup: {
      const EltwiseArgs& a = in.eltwise();
      s << "table=" << Addr(a.b_addr) << "[" << a.b_count << "]" << Type(a.out_type) << " " << Addr(a.a_addr)
        << Type(a.a_type) << " -> " << Addr(a.out_addr) << " n=" << a.count;
      return;
    }
    case Opcode::kPool: {
      const PoolArgs& p = in.pool();
      s << (p.kind == PoolKind::kMax ? "max " : "avg ") << Addr(p.in_addr) << "[" << p.in_h << "x" << p.in_w
        << "x" << p.c << "] -> " << Addr(p.out_addr) << "[" << p.out_h << "x" << p.out_w << "x" << p.c
        << "] k=" << p.kh << "x" << p.kw << " stride=" << p.stride_h << "," << p.stride_w
        << " pad=" << p.pad_top << "," << p.pad_left;
      return;
    }
  }
}

}  // namespace

std::string FormatInstruction(const Instruction& in) {
  std::ostringstream s;
  s << in.id << ": " << OpcodeName(in.op) << " ";
  FormatArgs(s, in);
  if (!in.deps.empty()) {
    s << " deps=[";
    for (size_t i = 0; i < in.deps.size(); ++i) s << (i ? "," : "") << in.deps[i];
    s << "]";
  }
  return s.str();
}

std::string Listing(const Program& p) {
  std::ostringstream s;
  int layer = -2;
  for (const Instruction& in : p.instructions) {
    if (in.layer != layer && in.layer >= 0 && in.layer < static_cast<int>(p.layers.size())) {
      layer = in.layer;
      const LayerMapping& m = p.layers[layer];
      s << "; layer " << layer << " " << m.name << " (" << m.op << " on " << m.unit << "): " << m.tiling
        << "\n";
      if (!m.mapping.empty()) {
        s << ";   mapping " << m.mapping << " (" << m.mapping_reason << ", est " << m.mapping_cycles
          << " compute cycles); runner-up " << (m.runner_up.empty() ? "none" : m.runner_up) << " ("
          << m.runner_up_cycles << ")\n";
      }
    }
    s << FormatInstruction(in) << "\n";
  }
  return s.str();
}

}  // namespace npusim::isa
