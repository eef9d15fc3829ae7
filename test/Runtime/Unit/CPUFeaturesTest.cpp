//===- CPUFeaturesTest.cpp - which listed instruction sets this CPU lacks --===//
//
// FMA4, XOP and TBM (AMD, 2011-2015) are on no CPU made since, so a list
// naming them is one this machine cannot run; SSE2 is on every x86-64.

#include "CPUFeatures.h"

#include <gtest/gtest.h>

using genc::runtime::missingCPUFeatures;

TEST(CPUFeatures, NamesTheListedSetsThisCPULacks) {
  EXPECT_EQ(missingCPUFeatures("cpu bdver2\nfeatures fma4,sse2,xop\nmcpu x\n"), "fma4, xop");
  // The features line may come first or last, with or without its newline.
  EXPECT_EQ(missingCPUFeatures("features sse2,tbm"), "tbm");
  EXPECT_EQ(missingCPUFeatures("features sse2,sse\n"), "");
}

TEST(CPUFeatures, IgnoresWhatCompiledCodeCannotContain) {
  // System features, sets only intrinsics reach, AMX (the kernels ask for it
  // themselves) and names this runtime does not know are not checked; nor
  // is a line only starting alike.
  EXPECT_EQ(missingCPUFeatures("features amx-tile,amx-bf16,xsave,sha512,prefetchi,no-such-set\n"),
            "");
  EXPECT_EQ(missingCPUFeatures("cpu x\nfeaturesX fma4\n"), "");
  EXPECT_EQ(missingCPUFeatures(""), "");
  EXPECT_EQ(missingCPUFeatures("features \n"), "");
}

TEST(CPUFeatures, APXIsOneSet) {
  // LLVM names APX's parts; the CPU has all or none of them.
  const std::string parts = missingCPUFeatures("features egpr,ndd,nf,sse2\n");
  EXPECT_TRUE(parts.empty() || parts == "egpr, ndd, nf") << parts;
}
