// The ObjectSinks that turn watched API objects into Quotient's state:
//  * PodSink   v1.Pod  -> ClusterState (and through it the quota ledger);
//  * NodeSink  v1.Node -> ClusterState;
//  * QuotaTreeSink  scheduling.sigs.k8s.io/v1beta1 ElasticQuotaTree (kube-system) ->
//    QuotaLedger::Reload, the alternative to the quota file.
// Objects that do not decode are refused with a one-line reason (the reflector skips
// and counts them).
//
// The pod and node sinks also report each change kube-scheduler watches too and that may
// make room (a pod that held a node left, a node joined or changed its allocatable,
// labels, annotations or unschedulable flag, a re-list ended) to an optional
// `on_release` callback: the Requeuer's watch-race check (requeuer.h).
//
// Thread safety: each sink is called by its own reflector only (one call at a time);
// the state they write is thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "extender/kube/reflector.h"
#include "extender/objects/pod_enricher.h"
#include "extender/state/cluster_state.h"
#include "extender/state/dra_state.h"
#include "extender/state/object_observer.h"
#include "extender/telemetry/quota_metrics.h"
#include "quota/quota_ledger.h"

namespace quotient::extender::state {

class PodSink : public kube::ObjectSink {
 public:
  // `enricher` (may be null) adds derived requests to each decoded pod (pod_enricher.h).
  // `dra` (may be null: no DRA mapping) indexes the pods that use claims, so that a claim
  // change charges them again (dra_state.h); the pod is indexed, enriched and applied
  // under its apply lock.
  explicit PodSink(ClusterState* state, DecodedObjectObserver* observer = nullptr,
                   const PodEnricher* enricher = nullptr, std::function<void()> on_release = {},
                   DraState* dra = nullptr)
      : state_(state),
        observer_(observer),
        enricher_(enricher),
        on_release_(std::move(on_release)),
        dra_(dra) {}
  void BeginList() override {
    if (dra_ != nullptr) {
      auto lock = dra_->apply_lock();
      dra_->BeginPodList();
    }
    state_->BeginPodList();
    if (observer_ != nullptr) observer_->ObservePodList(true);
  }
  bool Apply(kube::EventType type, json::od::value& object, std::string* error) override;
  void EndList() override {
    if (dra_ != nullptr) {
      auto lock = dra_->apply_lock();
      dra_->EndPodList();
    }
    state_->EndPodList();
    if (observer_ != nullptr) observer_->ObservePodList(false);
    if (on_release_) on_release_();
  }

 private:
  ClusterState* const state_;
  DecodedObjectObserver* const observer_;
  const PodEnricher* const enricher_;
  const std::function<void()> on_release_;
  DraState* const dra_;
};

class NodeSink : public kube::ObjectSink {
 public:
  explicit NodeSink(ClusterState* state, DecodedObjectObserver* observer = nullptr,
                    std::function<void()> on_release = {})
      : state_(state), observer_(observer), on_release_(std::move(on_release)) {}
  void BeginList() override {
    state_->BeginNodeList();
    if (observer_ != nullptr) observer_->ObserveNodeList(true);
  }
  bool Apply(kube::EventType type, json::od::value& object, std::string* error) override;
  void EndList() override {
    state_->EndNodeList();
    if (observer_ != nullptr) observer_->ObserveNodeList(false);
    if (on_release_) on_release_();
  }

 private:
  ClusterState* const state_;
  DecodedObjectObserver* const observer_;
  const std::function<void()> on_release_;
};

// Publishes the chosen ElasticQuotaTree: the one named `tree_name`, or, when that is
// empty, the only one in kube-system (several without a configured name: the
// alphabetically first, with a warning). An invalid tree is logged and counted
// (quotient_config_reloads_total{source="elasticquotatree",result="failure"}) and the
// last good tree keeps serving; so does a deleted one (with a warning): removing the
// object does not lift every limit at once. Only a change of the chosen object's spec
// reloads the tree.
//
// Until a first tree is published (none in kube-system, none of that name, or the chosen
// one invalid) the ledger holds the empty tree, under which no namespace has a quota:
// MissingTree() then says why, and the live cluster is not ready (filter answers an error,
// /readyz 503), so a start-up, a restart or an upgrade whose object cannot be used fails
// closed instead of running without quota. Each such state is logged once at error.
//
// Thread safety: BeginList/Apply/EndList from the reflector (one at a time); MissingTree()
// from any thread.
class QuotaTreeSink : public kube::ObjectSink {
 public:
  QuotaTreeSink(quota::QuotaLedger* ledger, QuotaMetrics* metrics, std::string tree_name)
      : ledger_(ledger), metrics_(metrics), tree_name_(std::move(tree_name)) {}
  void BeginList() override;
  bool Apply(kube::EventType type, json::od::value& object, std::string* error) override;
  void EndList() override;

  // Empty once a tree was published (it stays published: see above); else why there is
  // none yet ("no ElasticQuotaTree named x in kube-system", "ElasticQuotaTree x is invalid:
  // ...").
  std::string MissingTree() const;

  // Compiles `object_json` (one ElasticQuotaTree as the API serves it). Exposed for tests.
  static bool Compile(std::string_view object_json, std::shared_ptr<const quota::QuotaTree>* tree,
                      std::string* errors);

 private:
  void Publish();
  // Before the first tree: records why there is none, logging it when it changes.
  void SetMissing(std::string why, const std::string& detail);

  quota::QuotaLedger* const ledger_;
  QuotaMetrics* const metrics_;
  const std::string tree_name_;
  bool listing_ = false;
  struct TreeObject {
    std::string json;  // the whole object, as compiled
    std::string spec;  // its spec's JSON: what a change is judged by
  };
  std::map<std::string, TreeObject> objects_;  // by name
  // The spec of the tree in the ledger, and of the last one refused (reported once): a
  // change of anything else (labels, annotations, status, managedFields) is no change.
  std::optional<std::string> published_;
  std::optional<std::string> rejected_;
  std::atomic<bool> has_tree_{false};  // a tree was published: MissingTree() without the lock
  mutable std::mutex missing_mu_;
  std::string missing_ = "no ElasticQuotaTree listed yet";  // empty once a tree is published
};

}  // namespace quotient::extender::state
