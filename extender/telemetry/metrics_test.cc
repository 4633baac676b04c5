// Prometheus text format 0.0.4, to the letter, and lock-free instruments.
#include "extender/telemetry/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace quotient::extender::metrics {
namespace {

TEST(MetricsTest, CounterFamilyRendersHelpTypeAndEscapedLabels) {
  Registry registry;
  Family* f = registry.AddCounter("q_requests_total", "Requests.\nSecond line with \\ slash.",
                                  {"route", "code"});
  f->CounterWith({"fil\"ter", "200"})->Inc(3);
  f->CounterWith({"a\\b\nc", "404"})->Inc();
  EXPECT_EQ(registry.Render(),
            "# HELP q_requests_total Requests.\\nSecond line with \\\\ slash.\n"
            "# TYPE q_requests_total counter\n"
            "q_requests_total{route=\"fil\\\"ter\",code=\"200\"} 3\n"
            "q_requests_total{route=\"a\\\\b\\nc\",code=\"404\"} 1\n");
}

TEST(MetricsTest, SameLabelValuesReturnTheSameChild) {
  Registry registry;
  Family* f = registry.AddCounter("c_total", "c", {"x"});
  EXPECT_EQ(f->CounterWith({"a"}), f->CounterWith({"a"}));
  EXPECT_NE(f->CounterWith({"a"}), f->CounterWith({"b"}));
}

TEST(MetricsTest, GaugeWithoutLabelsRendersBareNameAndSpecialValues) {
  Registry registry;
  Gauge* g = registry.AddGauge("g", "A gauge.")->GaugeWith({});
  g->Set(1.5);
  g->Add(-0.25);
  EXPECT_EQ(registry.Render(), "# HELP g A gauge.\n# TYPE g gauge\ng 1.25\n");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
  EXPECT_EQ(FormatValue(0.005), "0.005");
  EXPECT_EQ(FormatValue(3), "3");
}

TEST(MetricsTest, HistogramRendersCumulativeBucketsSumAndCount) {
  Registry registry;
  Family* f = registry.AddHistogram("h_seconds", "Latency.", {"verb"}, {0.1, 1});
  Histogram* h = f->HistogramWith({"filter"});
  h->Observe(0.05);
  h->Observe(0.1);  // le is inclusive
  h->Observe(0.5);
  h->Observe(7);
  EXPECT_EQ(registry.Render(),
            "# HELP h_seconds Latency.\n# TYPE h_seconds histogram\n"
            "h_seconds_bucket{verb=\"filter\",le=\"0.1\"} 2\n"
            "h_seconds_bucket{verb=\"filter\",le=\"1\"} 3\n"
            "h_seconds_bucket{verb=\"filter\",le=\"+Inf\"} 4\n"
            "h_seconds_sum{verb=\"filter\"} 7.65\n"
            "h_seconds_count{verb=\"filter\"} 4\n");
}

TEST(MetricsTest, UnlabelledHistogramPutsLeAlone) {
  Registry registry;
  registry.AddHistogram("h", "H.", {}, {1})->HistogramWith({})->Observe(2);
  std::string text = registry.Render();
  EXPECT_NE(text.find("h_bucket{le=\"1\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_count 1\n"), std::string::npos) << text;
}

TEST(MetricsTest, ConcurrentUpdatesAreNeitherLostNorBlocked) {
  Registry registry;
  Counter* c = registry.AddCounter("c_total", "c")->CounterWith({});
  Histogram* h = registry.AddHistogram("h", "h", {}, {1})->HistogramWith({});
  Gauge* g = registry.AddGauge("g", "g")->GaugeWith({});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        c->Inc();
        h->Observe(0.5);
        g->Add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c->Value(), uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(h->Read().count, uint64_t{kThreads} * kPerThread);
  EXPECT_DOUBLE_EQ(h->Read().sum, 0.5 * kThreads * kPerThread);
  EXPECT_DOUBLE_EQ(g->Value(), double{kThreads} * kPerThread);
}

TEST(MetricsTest, ClearDropsEveryChild) {
  Registry registry;
  Family* f = registry.AddGauge("g", "g", {"quota"});
  f->GaugeWith({"a"})->Set(1);
  f->Clear();
  EXPECT_EQ(registry.Render(), "# HELP g g\n# TYPE g gauge\n");
}

}  // namespace
}  // namespace quotient::extender::metrics
