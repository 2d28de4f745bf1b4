// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_container.c - cgroup path -> container rules (container.c) on paths
 * as the runtimes write them, /proc/PID/cgroup parsing (cgroup.c), and the
 * workload a container runs (workload.c) from pod names and Docker's files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "runtime_state.h"
#include "workload.h"

#define ID "3f4e0b9a2c1d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f"
#define UID "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
#define UID_ "0f1e2d3c_4b5a_6978_8a9b_0c1d2e3f4a5b"

static void expect(const char *path, const char *runtime, const char *id, const char *name,
		   const char *pod, const char *qos)
{
	struct mt_container c;
	bool matched = container_from_cgroup_path(path, &c);

	if (!runtime) {
		if (matched)
			fail_msg("%s: matched %s, want nothing", path, c.runtime);
		return;
	}
	if (!matched)
		fail_msg("%s: no match, want %s", path, runtime);
	assert_string_equal(c.runtime, runtime);
	assert_string_equal(c.id, id ? id : "");
	assert_string_equal(c.name, name ? name : "");
	assert_string_equal(c.pod_uid, pod ? pod : "");
	if (qos)
		assert_string_equal(c.qos, qos);
	else
		assert_null(c.qos);
}

static void test_docker(void **state)
{
	(void)state;
	expect("/system.slice/docker-" ID ".scope", "docker", ID, NULL, NULL, NULL);
	expect("/docker/" ID, "docker", ID, NULL, NULL, NULL);
	/* a nested cgroup inside the container still names it */
	expect("/docker/" ID "/app", "docker", ID, NULL, NULL, NULL);
}

static void test_kubernetes(void **state)
{
	(void)state;
	/* containerd, systemd driver */
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/cri-containerd-" ID ".scope",
	       "containerd", ID, NULL, UID, "burstable");
	/* cgroupfs driver */
	expect("/kubepods/burstable/pod" UID "/" ID, "kubernetes", ID, NULL, UID, "burstable");
	expect("/kubepods/besteffort/pod" UID "/" ID, "kubernetes", ID, NULL, UID, "besteffort");
	expect("/kubepods/pod" UID "/" ID, "kubernetes", ID, NULL, UID, "guaranteed");
	/* containerd with SystemdCgroup=false */
	expect("/kubepods-besteffort-pod" UID_ ".slice:cri-containerd:" ID, "containerd", ID, NULL,
	       UID, "besteffort");
	/* CRI-O; its conmon is not the container */
	expect("/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID ".scope", "cri-o", ID, NULL,
	       UID, "guaranteed");
	expect("/kubepods.slice/kubepods-pod" UID_ ".slice/crio-conmon-" ID ".scope", "kubernetes",
	       NULL, NULL, UID, "guaranteed");
	/* the pod's own cgroup, no container */
	expect("/kubepods/burstable/pod" UID, "kubernetes", NULL, NULL, UID, "burstable");
}

static void test_podman_lxc_nspawn(void **state)
{
	(void)state;
	expect("/machine.slice/libpod-" ID ".scope", "podman", ID, NULL, NULL, NULL);
	expect("/machine.slice/libpod-" ID ".scope/container", "podman", ID, NULL, NULL, NULL);
	expect("/libpod_parent/libpod-" ID, "podman", ID, NULL, NULL, NULL);
	expect("/machine.slice/libpod-conmon-" ID ".scope", NULL, NULL, NULL, NULL, NULL);
	expect("/lxc.payload.web1", "lxc", NULL, "web1", NULL, NULL);
	expect("/lxc/web1", "lxc", NULL, "web1", NULL, NULL);
	expect("/lxc.monitor.web1", NULL, NULL, NULL, NULL, NULL);
	expect("/machine.slice/machine-my\\x2dbox.scope/payload", "nspawn", NULL, "my-box", NULL,
	       NULL);
	expect("/system.slice/nerdctl-" ID ".scope", "nerdctl", ID, NULL, NULL, NULL);
}

static void test_not_containers(void **state)
{
	(void)state;
	expect("/", NULL, NULL, NULL, NULL, NULL);
	expect("", NULL, NULL, NULL, NULL, NULL);
	expect("/user.slice/user-1000.slice/session-2.scope", NULL, NULL, NULL, NULL, NULL);
	expect("/system.slice/ssh.service", "systemd", NULL, "ssh.service", NULL, NULL);
	/* wrong length, upper case, bad characters: not ids */
	expect("/docker/" ID "0", NULL, NULL, NULL, NULL, NULL);
	expect("/docker/3F4E0B9A2C1D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D0E9F8A7B6C5D4E3F", NULL,
	       NULL, NULL, NULL, NULL);
	expect("/system.slice/docker-.scope", NULL, NULL, NULL, NULL, NULL);
	expect("/crio-.scope", NULL, NULL, NULL, NULL, NULL);
	expect("/machine-.scope", NULL, NULL, NULL, NULL, NULL);
	expect("////", NULL, NULL, NULL, NULL, NULL);
	expect("/podcast/x", NULL, NULL, NULL, NULL, NULL);
}

static void test_proc_cgroup(void **state)
{
	const char *v1 = "12:pids:/user.slice\n"
			 "11:cpu,cpuacct:/docker/" ID "\n"
			 "4:memory:/docker/" ID "\n"
			 "1:name=systemd:/docker/" ID "\n"
			 "0::/docker/" ID "\n";
	const char *tricky = "3:memoryx:/wrong\n5:blkio,memory:/right\n";
	char path[256];

	(void)state;
	assert_int_equal(cgroups_parse_proc_cgroup(v1, 1, path, sizeof(path)), 0);
	assert_string_equal(path, "/docker/" ID);
	assert_int_equal(cgroups_parse_proc_cgroup(v1, 2, path, sizeof(path)), 0);
	assert_string_equal(path, "/docker/" ID);
	assert_int_equal(cgroups_parse_proc_cgroup(tricky, 1, path, sizeof(path)), 0);
	assert_string_equal(path, "/right");
	assert_int_equal(cgroups_parse_proc_cgroup("0::/\n", 2, path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	assert_int_equal(cgroups_parse_proc_cgroup("garbage", 1, path, sizeof(path)), -ENOENT);
	assert_int_equal(cgroups_parse_proc_cgroup("", 2, path, sizeof(path)), -ENOENT);
	assert_int_equal(cgroups_parse_proc_cgroup("0::/toolong\n", 2, path, 4), -ENAMETOOLONG);
	assert_int_equal(cgroups_parse_proc_cgroup("4:memory:", 1, path, sizeof(path)),
			 -ENAMETOOLONG);
}

static void test_memory_stat(void **state)
{
	struct mt_memcg m = {};

	(void)state;
	assert_int_equal(cgroups_parse_memory_stat("cache 10\nrss 20\ntotal_cache 100\n"
						   "total_rss 200\n", 1, &m), 0);
	assert_int_equal(m.anon, 200);
	assert_int_equal(m.file, 100);
	assert_int_equal(m.kernel, 0);
	memset(&m, 0, sizeof(m));
	assert_int_equal(cgroups_parse_memory_stat("anon 7\nfile 8\nkernel 9\nanon_thp 0\n", 2, &m),
			 0);
	assert_int_equal(m.anon, 7);
	assert_int_equal(m.file, 8);
	assert_int_equal(m.kernel, 9);
	assert_int_equal(cgroups_parse_memory_stat("garbage", 2, &m), -EINVAL);
	assert_int_equal(cgroups_parse_memory_stat("", 1, &m), -EINVAL);
}

/* A finished container's last read comes after its processes freed their memory. */
static void test_memcg_breakdown_at_highest_usage(void **state)
{
	struct mt_memcg kept = {}, grown = { .known = true, .usage = 100, .stat_usage = 100,
					     .anon = 90, .file = 10, .pgfault = 5 };
	struct mt_memcg freed = { .known = true, .usage = 20, .stat_usage = 20, .peak = 100,
				  .anon = 1, .file = 19, .pgfault = 7 };
	struct mt_memcg regrown = { .known = true, .usage = 150, .stat_usage = 150, .anon = 140,
				    .file = 10, .pgfault = 9 };

	(void)state;
	cgroups_update_memcg(&kept, &grown);
	cgroups_update_memcg(&kept, &freed);
	assert_int_equal(kept.usage, 20); /* the rest as last read */
	assert_int_equal(kept.peak, 100);
	assert_int_equal(kept.pgfault, 7);
	assert_int_equal(kept.anon, 90);
	assert_int_equal(kept.file, 10);
	cgroups_update_memcg(&kept, &regrown);
	assert_int_equal(kept.anon, 140);
	assert_int_equal(kept.stat_usage, 150);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A fake /run with runc's and containerd's state, as the runtimes lay it out. */
static void test_runtime_names(void **state)
{
	char run[] = "/tmp/memtrace-run-XXXXXX", path[1024], bundle[256];
	struct mt_runtime_names n;

	(void)state;
	assert_non_null(mkdtemp(run));
	snprintf(path, sizeof(path), "%s/runc", run);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/runc/web", run);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/runc/web/state.json", run);
	write_file(path, "{\"id\":\"web\",\"config\":{\"cgroups\":{\"path\":\"/docker/" ID "\"}}}");
	snprintf(bundle, sizeof(bundle), "%s/bundle", run);
	mkdir(bundle, 0755);
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	write_file(path, "{\"annotations\":{\"io.kubernetes.cri.container-name\":\"app\","
			 "\"io.kubernetes.cri.sandbox-name\":\"web-7d9\","
			 "\"io.kubernetes.cri.sandbox-namespace\":\"prod\"}}");
	snprintf(path, sizeof(path), "%s/containerd", run);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/containerd/runc", run);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/containerd/runc/k8s.io", run);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/containerd/runc/k8s.io/" ID, run);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/containerd/runc/k8s.io/" ID "/state.json", run);
	{
		char text[1024];

		snprintf(text, sizeof(text),
			 "{\"id\":\"" ID "\",\"config\":{\"cgroups\":{\"path\":"
			 "\"/kubepods/pod" UID "/" ID "\"},\"labels\":[\"bundle=%s\"]}}", bundle);
		write_file(path, text);
	}

	assert_int_equal(runtime_names_for_cgroup(run, "/docker/" ID, &n), 0);
	assert_string_equal(n.container, "web");
	assert_string_equal(n.pod, "");
	assert_int_equal(runtime_names_for_cgroup(run, "/kubepods/pod" UID "/" ID, &n), 0);
	assert_string_equal(n.container, "app");
	assert_string_equal(n.pod, "web-7d9");
	assert_string_equal(n.namespace_, "prod");
	assert_int_equal(runtime_names_for_cgroup(run, "/nope", &n), -ENOENT);
	assert_int_equal(runtime_names_for_cgroup("/nonexistent-run", "/docker/" ID, &n), -ENOENT);
	snprintf(path, sizeof(path), "rm -rf '%s'", run);
	assert_int_equal(system(path), 0);
}

static void expect_owner(const char *pod, const char *owner)
{
	char buf[MT_RUNTIME_NAME_LEN];

	workload_pod_owner(pod, buf, sizeof(buf));
	if (strcmp(buf, owner))
		fail_msg("pod %s: owner %s, want %s", pod, buf, owner);
}

/* Pod names as the controllers make them. */
static void test_pod_owner(void **state)
{
	(void)state;
	expect_owner("web-7d9f8c6b5-x2x4z", "web");		  /* Deployment */
	expect_owner("api-v2-5d8f7c9b4-bcdfg", "api-v2");	  /* Deployment, dashes in its name */
	expect_owner("report-29012345-q7w2z", "report");	  /* CronJob's Job */
	expect_owner("node-exporter-x7k2p", "node-exporter");	  /* DaemonSet */
	expect_owner("migrate-db-8tq4n", "migrate-db");		  /* Job */
	expect_owner("postgres-0", "postgres");			  /* StatefulSet */
	expect_owner("kafka-broker-12", "kafka-broker");	  /* StatefulSet */
	expect_owner("debug", "debug");				  /* a bare pod */
	expect_owner("my-pod", "my-pod");			  /* "pod" has a vowel: not generated */
	expect_owner("web-ABCDE", "web-ABCDE");			  /* upper case is never generated */
	expect_owner("-0", "-0");				  /* nothing before the dash */
	expect_owner("", "");
}

/* Docker's config.v2.json, the fields it has for ECS, compose and plain runs. */
static void test_docker_workload(void **state)
{
	char root[] = "/tmp/memtrace-docker-XXXXXX", path[1024], workload[256], name[128];
	static const struct {
		const char *record, *workload, *name;
	} cases[] = {
		{ "{\"Name\":\"/ecs-api-3-web-a8b2\",\"Config\":{\"Image\":\"123.dkr.ecr/api:v3\","
		  "\"Labels\":{\"com.amazonaws.ecs.task-definition-family\":\"api\","
		  "\"com.amazonaws.ecs.container-name\":\"web\","
		  "\"com.docker.compose.project\":\"x\",\"com.docker.compose.service\":\"y\"}}}",
		  "api/web", "ecs-api-3-web-a8b2" },
		{ "{\"Name\":\"/shop-db-1\",\"Config\":{\"Image\":\"postgres:16\",\"Labels\":{"
		  "\"com.docker.compose.project\":\"shop\",\"com.docker.compose.service\":\"db\"}}}",
		  "shop/db", "shop-db-1" },
		{ "{\"Name\":\"/eager_turing\",\"Config\":{\"Image\":"
		  "\"registry:5000/team/app:1.2@sha256:abcd\",\"Labels\":null}}",
		  "registry:5000/team/app", "eager_turing" },
		{ "{\"Name\":\"/x\",\"Config\":{\"Image\":\"registry:5000/app\"}}",
		  "registry:5000/app", "x" },
		{ "{\"Config\":{\"Labels\":{}}}", "", "" },
	};

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/containers", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/containers/" ID, root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/containers/" ID "/config.v2.json", root);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(path, cases[i].record);
		name[0] = '\0';
		assert_int_equal(workload_from_docker(root, ID, workload, sizeof(workload), name,
						      sizeof(name)), 0);
		assert_string_equal(workload, cases[i].workload);
		assert_string_equal(name, cases[i].name);
	}
	write_file(path, "{not json");
	assert_int_equal(workload_from_docker(root, ID, workload, sizeof(workload), name,
					      sizeof(name)), -ENOENT);
	assert_int_equal(workload_from_docker(root, "nope", workload, sizeof(workload), name,
					      sizeof(name)), -ENOENT);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_kubernetes),
		cmocka_unit_test(test_podman_lxc_nspawn),
		cmocka_unit_test(test_not_containers),
		cmocka_unit_test(test_proc_cgroup),
		cmocka_unit_test(test_runtime_names),
		cmocka_unit_test(test_memory_stat),
		cmocka_unit_test(test_memcg_breakdown_at_highest_usage),
		cmocka_unit_test(test_pod_owner),
		cmocka_unit_test(test_docker_workload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
