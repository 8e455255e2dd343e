"""since_020.py — what a results file of this build may have that release 0.2.0's fixtures
(tests/fixtures) lack, or define differently; shared by compare_results.py and
fixture_layout.py."""

# Root attributes added since 0.2.0: a file of an older release lacks them.
ADDED_ROOT_ATTRS = {"engine_revision"}
# Derived datasets a later release adds (0.2.0's files lack them; the validator and phase
# treat them as optional there), and the derived datasets whose definition changed after
# 0.2.0: chi is the noise-aware local-fit slope (0.2.0's numpy.gradient χ is chi_fd now),
# and the Widom line, χ_max, the accuracy ridge and the claim statistics follow it.
ADDED_DERIVED = {
    "chi_fd", "chi_bandwidth", "widom_sigma_w2_lo", "widom_sigma_w2_hi",
    "accuracy_ridge_sigma_w2_lo", "accuracy_ridge_sigma_w2_hi", "spearman_acc_chi_lo",
    "spearman_acc_chi_hi", "spearman_acc_edge_lo", "spearman_acc_edge_hi", "rho_diff",
    "rho_diff_lo", "rho_diff_hi", "rho_dist_widom", "rho_dist_widom_lo", "rho_dist_widom_hi",
    "rho_dist_edge", "rho_dist_edge_lo", "rho_dist_edge_hi", "rho_dist_diff",
    "rho_dist_diff_lo", "rho_dist_diff_hi", "ridge_dist_widom_lo", "ridge_dist_widom_hi",
    "ridge_dist_edge_lo", "ridge_dist_edge_hi", "claim_verdict", "claim_verdict_dist"}
# Per-task quantities added after 0.2.0 (quantity.h: QUANTITY_FIRST_AFTER_0_2_0 on) and
# the dynamic range's trailing coordinate: every fresh file has them (NaN where off), a
# 0.2.0 file, also once resumed by this build, does not.
ADDED_QUANTITIES = {"dynamic_range", "dynrange_note", "dynrange_response", "dynrange_q",
                    "branching_trained", "lyapunov_trained", "inactive_fraction_trained"}
ADDED_DATASETS = ADDED_DERIVED | ADDED_QUANTITIES
REDEFINED_DERIVED = {"chi", "widom_sigma_w2", "chi_max", "accuracy_ridge_sigma_w2",
                     "spearman_acc_chi", "ridge_dist_widom", "ridge_dist_edge"}
