/* The Dockerfile parser: buildkit's parser test files (frontend/dockerfile/parser/testfiles, each
 * Dockerfile with the AST dump buildkit expects), its heredoc, line-number and warning tests,
 * its instruction tests (instructions/parse_test.go), and Docker's error messages for bad input,
 * then the stage planner. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "build-plan.h"
#include "build-util.h"
#include "dockerfile-internal.h"
#include "dockerfile.h"
#include "shell-lex.h"
#include "util.h"

static const char *build_env_strv_lookup_for_test(char **env, const char *key)
{
        const char *v = build_env_strv_lookup(env, key);
        return v ? v : "(unset)";
}

static const struct {
        const char *name, *dockerfile, *result;
} testfiles[] = {
        { "ADD-COPY-with-JSON",
          "FROM\tubuntu:14.04\n"
                "LABEL\tmaintainer\tSeongyeol Lim <seongyeol37@gmail.com>\n"
                "\n"
                "COPY\t.\t/go/src/github.com/docker/docker\n"
                "ADD\t\t.\t/\n"
                "ADD\t\tnull /\n"
                "COPY\tnullfile /tmp\n"
                "ADD\t\t[ \"vimrc\", \"/tmp\" ]\n"
                "COPY\t[ \"bashrc\", \"/tmp\" ]\n"
                "COPY\t[ \"test file\", \"/tmp\" ]\n"
                "ADD\t\t[ \"test file\", \"/tmp/test file\" ]\n"
                "",
          "(from \"ubuntu:14.04\")\n"
                "(label \"maintainer\" \"Seongyeol Lim <seongyeol37@gmail.com>\" \"\")\n"
                "(copy \".\" \"/go/src/github.com/docker/docker\")\n"
                "(add \".\" \"/\")\n"
                "(add \"null\" \"/\")\n"
                "(copy \"nullfile\" \"/tmp\")\n"
                "(add \"vimrc\" \"/tmp\")\n"
                "(copy \"bashrc\" \"/tmp\")\n"
                "(copy \"test file\" \"/tmp\")\n"
                "(add \"test file\" \"/tmp/test file\")\n"
                "" },
        { "args",
          "ARG foo bar=baz\n"
                "FROM ubuntu\n"
                "ARG abc=\"123 456\" def\n"
                "",
          "(arg \"foo\" \"bar=baz\")\n"
                "(from \"ubuntu\")\n"
                "(arg \"abc=\\\"123 456\\\"\" \"def\")\n"
                "" },
        { "brimstone-consuldock",
          "#escape=\\\n"
                "FROM brimstone/ubuntu:14.04\n"
                "\n"
                "LABEL maintainer brimstone@the.narro.ws\n"
                "\n"
                "# TORUN -v /var/run/docker.sock:/var/run/docker.sock\n"
                "\n"
                "ENV GOPATH /go\n"
                "\n"
                "# Set our command\n"
                "ENTRYPOINT [\"/usr/local/bin/consuldock\"]\n"
                "\n"
                "# Install the packages we need, clean up after them and us\n"
                "RUN apt-get update \\\n"
                "\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.clean \\\n"
                "    && apt-get --no-install-recommends install -y git golang ca-certificates \\\n"
                "    && apt-get clean \\\n"
                "    && rm -rf /var/lib/apt/lists \\\n"
                "\n"
                "\t&& go get -v github.com/brimstone/consuldock \\\n"
                "    && mv $GOPATH/bin/consuldock /usr/local/bin/consuldock \\\n"
                "\n"
                "\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.dirty \\\n"
                "\t&& apt-get remove --purge -y $(diff /tmp/dpkg.clean /tmp/dpkg.dirty | awk '/^>/ {print $2}') \\\n"
                "\t&& rm /tmp/dpkg.* \\\n"
                "\t&& rm -rf $GOPATH\n"
                "",
          "(from \"brimstone/ubuntu:14.04\")\n"
                "(label \"maintainer\" \"brimstone@the.narro.ws\" \"\")\n"
                "(env \"GOPATH\" \"/go\" \"\")\n"
                "(entrypoint \"/usr/local/bin/consuldock\")\n"
                "(run \"apt-get update \\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.clean     && apt-get --no-install-recommends install -y git golang ca-certificates     && apt-get clean     && rm -rf /var/lib/apt/lists \\t&& go get -v github.com/brimstone/consuldock     && mv $GOPATH/bin/consuldock /usr/local/bin/consuldock \\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.dirty \\t&& apt-get remove --purge -y $(diff /tmp/dpkg.clean /tmp/dpkg.dirty | awk '/^>/ {print $2}') \\t&& rm /tmp/dpkg.* \\t&& rm -rf $GOPATH\")\n"
                "" },
        { "brimstone-docker-consul",
          "FROM brimstone/ubuntu:14.04\n"
                "\n"
                "CMD []\n"
                "\n"
                "ENTRYPOINT [\"/usr/bin/consul\", \"agent\", \"-server\", \"-data-dir=/consul\", \"-client=0.0.0.0\", \"-ui-dir=/webui\"]\n"
                "\n"
                "EXPOSE 8500 8600 8400 8301 8302\n"
                "\n"
                "RUN apt-get update \\\n"
                "    && apt-get --no-install-recommends install -y unzip wget \\\n"
                "\t&& apt-get clean \\\n"
                "\t&& rm -rf /var/lib/apt/lists\n"
                "\n"
                "RUN cd /tmp \\\n"
                "    && wget https://dl.bintray.com/mitchellh/consul/0.3.1_web_ui.zip \\\n"
                "       -O web_ui.zip \\\n"
                "    && unzip web_ui.zip \\\n"
                "    && mv dist /webui \\\n"
                "    && rm web_ui.zip\n"
                "\n"
                "RUN apt-get update \\\n"
                "\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.clean \\\n"
                "    && apt-get --no-install-recommends install -y unzip wget \\\n"
                "    && apt-get clean \\\n"
                "    && rm -rf /var/lib/apt/lists \\\n"
                "\n"
                "    && cd /tmp \\\n"
                "    && wget https://dl.bintray.com/mitchellh/consul/0.3.1_web_ui.zip \\\n"
                "       -O web_ui.zip \\\n"
                "    && unzip web_ui.zip \\\n"
                "    && mv dist /webui \\\n"
                "    && rm web_ui.zip \\\n"
                "\n"
                "\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.dirty \\\n"
                "\t&& apt-get remove --purge -y $(diff /tmp/dpkg.clean /tmp/dpkg.dirty | awk '/^>/ {print $2}') \\\n"
                "\t&& rm /tmp/dpkg.*\n"
                "\n"
                "ENV GOPATH /go\n"
                "\n"
                "RUN apt-get update \\\n"
                "\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.clean \\\n"
                "    && apt-get --no-install-recommends install -y git golang ca-certificates build-essential \\\n"
                "    && apt-get clean \\\n"
                "    && rm -rf /var/lib/apt/lists \\\n"
                "\n"
                "\t&& go get -v github.com/hashicorp/consul \\\n"
                "\t&& mv $GOPATH/bin/consul /usr/bin/consul \\\n"
                "\n"
                "\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.dirty \\\n"
                "\t&& apt-get remove --purge -y $(diff /tmp/dpkg.clean /tmp/dpkg.dirty | awk '/^>/ {print $2}') \\\n"
                "\t&& rm /tmp/dpkg.* \\\n"
                "\t&& rm -rf $GOPATH\n"
                "",
          "(from \"brimstone/ubuntu:14.04\")\n"
                "(cmd)\n"
                "(entrypoint \"/usr/bin/consul\" \"agent\" \"-server\" \"-data-dir=/consul\" \"-client=0.0.0.0\" \"-ui-dir=/webui\")\n"
                "(expose \"8500\" \"8600\" \"8400\" \"8301\" \"8302\")\n"
                "(run \"apt-get update     && apt-get --no-install-recommends install -y unzip wget \\t&& apt-get clean \\t&& rm -rf /var/lib/apt/lists\")\n"
                "(run \"cd /tmp     && wget https://dl.bintray.com/mitchellh/consul/0.3.1_web_ui.zip        -O web_ui.zip     && unzip web_ui.zip     && mv dist /webui     && rm web_ui.zip\")\n"
                "(run \"apt-get update \\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.clean     && apt-get --no-install-recommends install -y unzip wget     && apt-get clean     && rm -rf /var/lib/apt/lists     && cd /tmp     && wget https://dl.bintray.com/mitchellh/consul/0.3.1_web_ui.zip        -O web_ui.zip     && unzip web_ui.zip     && mv dist /webui     && rm web_ui.zip \\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.dirty \\t&& apt-get remove --purge -y $(diff /tmp/dpkg.clean /tmp/dpkg.dirty | awk '/^>/ {print $2}') \\t&& rm /tmp/dpkg.*\")\n"
                "(env \"GOPATH\" \"/go\" \"\")\n"
                "(run \"apt-get update \\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.clean     && apt-get --no-install-recommends install -y git golang ca-certificates build-essential     && apt-get clean     && rm -rf /var/lib/apt/lists \\t&& go get -v github.com/hashicorp/consul \\t&& mv $GOPATH/bin/consul /usr/bin/consul \\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.dirty \\t&& apt-get remove --purge -y $(diff /tmp/dpkg.clean /tmp/dpkg.dirty | awk '/^>/ {print $2}') \\t&& rm /tmp/dpkg.* \\t&& rm -rf $GOPATH\")\n"
                "" },
        { "continue-at-eof",
          "FROM alpine:3.5\n"
                "\n"
                "RUN something \\",
          "(from \"alpine:3.5\")\n"
                "(run \"something\")\n"
                "" },
        { "continueIndent",
          "FROM ubuntu:14.04\n"
                "\n"
                "RUN echo hello\\\n"
                "  world\\\n"
                "  goodnight  \\\n"
                "  moon\\\n"
                "  light\\\n"
                "ning\n"
                "RUN echo hello  \\\n"
                "  world\n"
                "RUN echo hello  \\\n"
                "world\n"
                "RUN echo hello \\\n"
                "goodbye\\\n"
                "frog\n"
                "RUN echo hello  \\  \n"
                "world\n"
                "RUN echo hi \\\n"
                " \\\n"
                " world \\\n"
                "\\\n"
                " good\\\n"
                "\\\n"
                "night\n"
                "RUN echo goodbye\\\n"
                "frog\n"
                "RUN echo good\\\n"
                "bye\\\n"
                "frog\n"
                "\n"
                "RUN echo hello \\\n"
                "# this is a comment\n"
                "\n"
                "# this is a comment with a blank line surrounding it\n"
                "\n"
                "this is some more useful stuff\n"
                "",
          "(from \"ubuntu:14.04\")\n"
                "(run \"echo hello  world  goodnight    moon  lightning\")\n"
                "(run \"echo hello    world\")\n"
                "(run \"echo hello  world\")\n"
                "(run \"echo hello goodbyefrog\")\n"
                "(run \"echo hello  world\")\n"
                "(run \"echo hi   world  goodnight\")\n"
                "(run \"echo goodbyefrog\")\n"
                "(run \"echo goodbyefrog\")\n"
                "(run \"echo hello this is some more useful stuff\")\n"
                "" },
        { "cpuguy83-nagios",
          "FROM cpuguy83/ubuntu\n"
                "ENV NAGIOS_HOME /opt/nagios\n"
                "ENV NAGIOS_USER nagios\n"
                "ENV NAGIOS_GROUP nagios\n"
                "ENV NAGIOS_CMDUSER nagios\n"
                "ENV NAGIOS_CMDGROUP nagios\n"
                "ENV NAGIOSADMIN_USER nagiosadmin\n"
                "ENV NAGIOSADMIN_PASS nagios\n"
                "ENV APACHE_RUN_USER nagios\n"
                "ENV APACHE_RUN_GROUP nagios\n"
                "ENV NAGIOS_TIMEZONE UTC\n"
                "\n"
                "RUN sed -i 's/universe/universe multiverse/' /etc/apt/sources.list\n"
                "RUN apt-get update && apt-get --no-install-recommends install -y iputils-ping netcat build-essential snmp snmpd snmp-mibs-downloader php5-cli apache2 libapache2-mod-php5 runit bc postfix bsd-mailx\n"
                "RUN ( egrep -i  \"^${NAGIOS_GROUP}\" /etc/group || groupadd $NAGIOS_GROUP ) && ( egrep -i \"^${NAGIOS_CMDGROUP}\" /etc/group || groupadd $NAGIOS_CMDGROUP )\n"
                "RUN ( id -u $NAGIOS_USER || useradd --system $NAGIOS_USER -g $NAGIOS_GROUP -d $NAGIOS_HOME ) && ( id -u $NAGIOS_CMDUSER || useradd --system -d $NAGIOS_HOME -g $NAGIOS_CMDGROUP $NAGIOS_CMDUSER )\n"
                "\n"
                "ADD http://downloads.sourceforge.net/project/nagios/nagios-3.x/nagios-3.5.1/nagios-3.5.1.tar.gz?r=http%3A%2F%2Fwww.nagios.org%2Fdownload%2Fcore%2Fthanks%2F%3Ft%3D1398863696&ts=1398863718&use_mirror=superb-dca3 /tmp/nagios.tar.gz\n"
                "RUN cd /tmp && tar -zxvf nagios.tar.gz && cd nagios  && ./configure --prefix=${NAGIOS_HOME} --exec-prefix=${NAGIOS_HOME} --enable-event-broker --with-nagios-command-user=${NAGIOS_CMDUSER} --with-command-group=${NAGIOS_CMDGROUP} --with-nagios-user=${NAGIOS_USER} --with-nagios-group=${NAGIOS_GROUP} && make all && make install && make install-config && make install-commandmode && cp sample-config/httpd.conf /etc/apache2/conf.d/nagios.conf\n"
                "ADD http://www.nagios-plugins.org/download/nagios-plugins-1.5.tar.gz /tmp/\n"
                "RUN cd /tmp && tar -zxvf nagios-plugins-1.5.tar.gz && cd nagios-plugins-1.5 && ./configure --prefix=${NAGIOS_HOME} && make && make install\n"
                "\n"
                "RUN sed -i.bak 's/.*\\=www\\-data//g' /etc/apache2/envvars\n"
                "RUN export DOC_ROOT=\"DocumentRoot $(echo $NAGIOS_HOME/share)\"; sed -i \"s,DocumentRoot.*,$DOC_ROOT,\" /etc/apache2/sites-enabled/000-default\n"
                "\n"
                "RUN ln -s ${NAGIOS_HOME}/bin/nagios /usr/local/bin/nagios && mkdir -p /usr/share/snmp/mibs && chmod 0755 /usr/share/snmp/mibs && touch /usr/share/snmp/mibs/.foo\n"
                "\n"
                "RUN echo \"use_timezone=$NAGIOS_TIMEZONE\" >> ${NAGIOS_HOME}/etc/nagios.cfg && echo \"SetEnv TZ \\\"${NAGIOS_TIMEZONE}\\\"\" >> /etc/apache2/conf.d/nagios.conf\n"
                "\n"
                "RUN mkdir -p ${NAGIOS_HOME}/etc/conf.d && mkdir -p ${NAGIOS_HOME}/etc/monitor && ln -s /usr/share/snmp/mibs ${NAGIOS_HOME}/libexec/mibs\n"
                "RUN echo \"cfg_dir=${NAGIOS_HOME}/etc/conf.d\" >> ${NAGIOS_HOME}/etc/nagios.cfg\n"
                "RUN echo \"cfg_dir=${NAGIOS_HOME}/etc/monitor\" >> ${NAGIOS_HOME}/etc/nagios.cfg\n"
                "RUN download-mibs && echo \"mibs +ALL\" > /etc/snmp/snmp.conf\n"
                "\n"
                "RUN sed -i 's,/bin/mail,/usr/bin/mail,' /opt/nagios/etc/objects/commands.cfg && \\\n"
                "  sed -i 's,/usr/usr,/usr,' /opt/nagios/etc/objects/commands.cfg\n"
                "RUN cp /etc/services /var/spool/postfix/etc/\n"
                "\n"
                "RUN mkdir -p /etc/sv/nagios && mkdir -p /etc/sv/apache && rm -rf /etc/sv/getty-5 && mkdir -p /etc/sv/postfix\n"
                "ADD nagios.init /etc/sv/nagios/run\n"
                "ADD apache.init /etc/sv/apache/run\n"
                "ADD postfix.init /etc/sv/postfix/run\n"
                "ADD postfix.stop /etc/sv/postfix/finish\n"
                "\n"
                "ADD start.sh /usr/local/bin/start_nagios\n"
                "\n"
                "ENV APACHE_LOCK_DIR /var/run\n"
                "ENV APACHE_LOG_DIR /var/log/apache2\n"
                "\n"
                "EXPOSE 80\n"
                "\n"
                "VOLUME [\"/opt/nagios/var\", \"/opt/nagios/etc\", \"/opt/nagios/libexec\", \"/var/log/apache2\", \"/usr/share/snmp/mibs\"]\n"
                "\n"
                "CMD [\"/usr/local/bin/start_nagios\"]\n"
                "",
          "(from \"cpuguy83/ubuntu\")\n"
                "(env \"NAGIOS_HOME\" \"/opt/nagios\" \"\")\n"
                "(env \"NAGIOS_USER\" \"nagios\" \"\")\n"
                "(env \"NAGIOS_GROUP\" \"nagios\" \"\")\n"
                "(env \"NAGIOS_CMDUSER\" \"nagios\" \"\")\n"
                "(env \"NAGIOS_CMDGROUP\" \"nagios\" \"\")\n"
                "(env \"NAGIOSADMIN_USER\" \"nagiosadmin\" \"\")\n"
                "(env \"NAGIOSADMIN_PASS\" \"nagios\" \"\")\n"
                "(env \"APACHE_RUN_USER\" \"nagios\" \"\")\n"
                "(env \"APACHE_RUN_GROUP\" \"nagios\" \"\")\n"
                "(env \"NAGIOS_TIMEZONE\" \"UTC\" \"\")\n"
                "(run \"sed -i 's/universe/universe multiverse/' /etc/apt/sources.list\")\n"
                "(run \"apt-get update && apt-get --no-install-recommends install -y iputils-ping netcat build-essential snmp snmpd snmp-mibs-downloader php5-cli apache2 libapache2-mod-php5 runit bc postfix bsd-mailx\")\n"
                "(run \"( egrep -i  \\\"^${NAGIOS_GROUP}\\\" /etc/group || groupadd $NAGIOS_GROUP ) && ( egrep -i \\\"^${NAGIOS_CMDGROUP}\\\" /etc/group || groupadd $NAGIOS_CMDGROUP )\")\n"
                "(run \"( id -u $NAGIOS_USER || useradd --system $NAGIOS_USER -g $NAGIOS_GROUP -d $NAGIOS_HOME ) && ( id -u $NAGIOS_CMDUSER || useradd --system -d $NAGIOS_HOME -g $NAGIOS_CMDGROUP $NAGIOS_CMDUSER )\")\n"
                "(add \"http://downloads.sourceforge.net/project/nagios/nagios-3.x/nagios-3.5.1/nagios-3.5.1.tar.gz?r=http%3A%2F%2Fwww.nagios.org%2Fdownload%2Fcore%2Fthanks%2F%3Ft%3D1398863696&ts=1398863718&use_mirror=superb-dca3\" \"/tmp/nagios.tar.gz\")\n"
                "(run \"cd /tmp && tar -zxvf nagios.tar.gz && cd nagios  && ./configure --prefix=${NAGIOS_HOME} --exec-prefix=${NAGIOS_HOME} --enable-event-broker --with-nagios-command-user=${NAGIOS_CMDUSER} --with-command-group=${NAGIOS_CMDGROUP} --with-nagios-user=${NAGIOS_USER} --with-nagios-group=${NAGIOS_GROUP} && make all && make install && make install-config && make install-commandmode && cp sample-config/httpd.conf /etc/apache2/conf.d/nagios.conf\")\n"
                "(add \"http://www.nagios-plugins.org/download/nagios-plugins-1.5.tar.gz\" \"/tmp/\")\n"
                "(run \"cd /tmp && tar -zxvf nagios-plugins-1.5.tar.gz && cd nagios-plugins-1.5 && ./configure --prefix=${NAGIOS_HOME} && make && make install\")\n"
                "(run \"sed -i.bak 's/.*\\\\=www\\\\-data//g' /etc/apache2/envvars\")\n"
                "(run \"export DOC_ROOT=\\\"DocumentRoot $(echo $NAGIOS_HOME/share)\\\"; sed -i \\\"s,DocumentRoot.*,$DOC_ROOT,\\\" /etc/apache2/sites-enabled/000-default\")\n"
                "(run \"ln -s ${NAGIOS_HOME}/bin/nagios /usr/local/bin/nagios && mkdir -p /usr/share/snmp/mibs && chmod 0755 /usr/share/snmp/mibs && touch /usr/share/snmp/mibs/.foo\")\n"
                "(run \"echo \\\"use_timezone=$NAGIOS_TIMEZONE\\\" >> ${NAGIOS_HOME}/etc/nagios.cfg && echo \\\"SetEnv TZ \\\\\\\"${NAGIOS_TIMEZONE}\\\\\\\"\\\" >> /etc/apache2/conf.d/nagios.conf\")\n"
                "(run \"mkdir -p ${NAGIOS_HOME}/etc/conf.d && mkdir -p ${NAGIOS_HOME}/etc/monitor && ln -s /usr/share/snmp/mibs ${NAGIOS_HOME}/libexec/mibs\")\n"
                "(run \"echo \\\"cfg_dir=${NAGIOS_HOME}/etc/conf.d\\\" >> ${NAGIOS_HOME}/etc/nagios.cfg\")\n"
                "(run \"echo \\\"cfg_dir=${NAGIOS_HOME}/etc/monitor\\\" >> ${NAGIOS_HOME}/etc/nagios.cfg\")\n"
                "(run \"download-mibs && echo \\\"mibs +ALL\\\" > /etc/snmp/snmp.conf\")\n"
                "(run \"sed -i 's,/bin/mail,/usr/bin/mail,' /opt/nagios/etc/objects/commands.cfg &&   sed -i 's,/usr/usr,/usr,' /opt/nagios/etc/objects/commands.cfg\")\n"
                "(run \"cp /etc/services /var/spool/postfix/etc/\")\n"
                "(run \"mkdir -p /etc/sv/nagios && mkdir -p /etc/sv/apache && rm -rf /etc/sv/getty-5 && mkdir -p /etc/sv/postfix\")\n"
                "(add \"nagios.init\" \"/etc/sv/nagios/run\")\n"
                "(add \"apache.init\" \"/etc/sv/apache/run\")\n"
                "(add \"postfix.init\" \"/etc/sv/postfix/run\")\n"
                "(add \"postfix.stop\" \"/etc/sv/postfix/finish\")\n"
                "(add \"start.sh\" \"/usr/local/bin/start_nagios\")\n"
                "(env \"APACHE_LOCK_DIR\" \"/var/run\" \"\")\n"
                "(env \"APACHE_LOG_DIR\" \"/var/log/apache2\" \"\")\n"
                "(expose \"80\")\n"
                "(volume \"/opt/nagios/var\" \"/opt/nagios/etc\" \"/opt/nagios/libexec\" \"/var/log/apache2\" \"/usr/share/snmp/mibs\")\n"
                "(cmd \"/usr/local/bin/start_nagios\")\n"
                "" },
        { "docker",
          "# This file describes the standard way to build Docker, using docker\n"
                "#\n"
                "# Usage:\n"
                "#\n"
                "# # Assemble the full dev environment. This is slow the first time.\n"
                "# docker build -t docker .\n"
                "#\n"
                "# # Mount your source in an interactive container for quick testing:\n"
                "# docker run -v `pwd`:/go/src/github.com/docker/docker --privileged -i -t docker bash\n"
                "#\n"
                "# # Run the test suite:\n"
                "# docker run --privileged docker hack/make.sh test-unit test-integration test-docker-py\n"
                "#\n"
                "# Note: AppArmor used to mess with privileged mode, but this is no longer\n"
                "# the case. Therefore, you don't have to disable it anymore.\n"
                "#\n"
                "\n"
                "FROM\tubuntu:14.04\n"
                "LABEL\tmaintainer\tTianon Gravi <admwiggin@gmail.com> (@tianon)\n"
                "\n"
                "# Packaged dependencies\n"
                "RUN\tapt-get update && DEBIAN_FRONTEND=noninteractive apt-get --no-install-recommends install -yq \\\n"
                "\tapt-utils \\\n"
                "\taufs-tools \\\n"
                "\tautomake \\\n"
                "\tbtrfs-tools \\\n"
                "\tbuild-essential \\\n"
                "\tcurl \\\n"
                "\tdpkg-sig \\\n"
                "\tgit \\\n"
                "\tiptables \\\n"
                "\tlibapparmor-dev \\\n"
                "\tlibcap-dev \\\n"
                "\tmercurial \\\n"
                "\tpandoc \\\n"
                "\tparallel \\\n"
                "\treprepro \\\n"
                "\truby1.9.1 \\\n"
                "\truby1.9.1-dev \\\n"
                "\ts3cmd=1.1.0* \\\n"
                "\t--no-install-recommends\n"
                "\n"
                "# Get lvm2 source for compiling statically\n"
                "RUN\tgit clone --no-checkout https://git.fedorahosted.org/git/lvm2.git /usr/local/lvm2 && cd /usr/local/lvm2 && git checkout -q v2_02_103\n"
                "# see https://git.fedorahosted.org/cgit/lvm2.git/refs/tags for release tags\n"
                "# note: we don't use \"git clone -b\" above because it then spews big nasty warnings about 'detached HEAD' state that we can't silence as easily as we can silence them using \"git checkout\" directly\n"
                "\n"
                "# Compile and install lvm2\n"
                "RUN\tcd /usr/local/lvm2 && ./configure --enable-static_link && make device-mapper && make install_device-mapper\n"
                "# see https://git.fedorahosted.org/cgit/lvm2.git/tree/INSTALL\n"
                "\n"
                "# Install Go\n"
                "RUN\tcurl -sSL https://golang.org/dl/go1.3.src.tar.gz | tar -v -C /usr/local -xz\n"
                "ENV\tPATH\t/usr/local/go/bin:$PATH\n"
                "ENV\tGOPATH\t/go:/go/src/github.com/docker/docker/vendor\n"
                "RUN\tcd /usr/local/go/src && ./make.bash --no-clean 2>&1\n"
                "\n"
                "# Compile Go for cross compilation\n"
                "ENV\tDOCKER_CROSSPLATFORMS\t\\\n"
                "\tlinux/386 linux/arm \\\n"
                "\tdarwin/amd64 darwin/386 \\\n"
                "\tfreebsd/amd64 freebsd/386 freebsd/arm\n"
                "# (set an explicit GOARM of 5 for maximum compatibility)\n"
                "ENV\tGOARM\t5\n"
                "RUN\tcd /usr/local/go/src && bash -xc 'for platform in $DOCKER_CROSSPLATFORMS; do GOOS=${platform%/*} GOARCH=${platform##*/} ./make.bash --no-clean 2>&1; done'\n"
                "\n"
                "# Grab Go's cover tool for dead-simple code coverage testing\n"
                "RUN\tgo get golang.org/x/tools/cmd/cover\n"
                "\n"
                "# TODO replace FPM with some very minimal debhelper stuff\n"
                "RUN\tgem install --no-rdoc --no-ri fpm --version 1.0.2\n"
                "\n"
                "# Get the \"busybox\" image source so we can build locally instead of pulling\n"
                "RUN\tgit clone -b buildroot-2014.02 https://github.com/jpetazzo/docker-busybox.git /docker-busybox\n"
                "\n"
                "# Setup s3cmd config\n"
                "RUN\t/bin/echo -e '[default]\\naccess_key=$AWS_ACCESS_KEY\\nsecret_key=$AWS_SECRET_KEY' > /.s3cfg\n"
                "\n"
                "# Set user.email so crosbymichael's in-container merge commits go smoothly\n"
                "RUN\tgit config --global user.email 'docker-dummy@example.com'\n"
                "\n"
                "# Add an unprivileged user to be used for tests which need it\n"
                "RUN groupadd -r docker\n"
                "RUN useradd --create-home --gid docker unprivilegeduser\n"
                "\n"
                "VOLUME\t/var/lib/docker\n"
                "WORKDIR\t/go/src/github.com/docker/docker\n"
                "ENV\tDOCKER_BUILDTAGS\tapparmor selinux\n"
                "\n"
                "# Wrap all commands in the \"docker-in-docker\" script to allow nested containers\n"
                "ENTRYPOINT\t[\"hack/dind\"]\n"
                "\n"
                "# Upload docker source\n"
                "COPY\t.\t/go/src/github.com/docker/docker\n"
                "",
          "(from \"ubuntu:14.04\")\n"
                "(label \"maintainer\" \"Tianon Gravi <admwiggin@gmail.com> (@tianon)\" \"\")\n"
                "(run \"apt-get update && DEBIAN_FRONTEND=noninteractive apt-get --no-install-recommends install -yq \\tapt-utils \\taufs-tools \\tautomake \\tbtrfs-tools \\tbuild-essential \\tcurl \\tdpkg-sig \\tgit \\tiptables \\tlibapparmor-dev \\tlibcap-dev \\tmercurial \\tpandoc \\tparallel \\treprepro \\truby1.9.1 \\truby1.9.1-dev \\ts3cmd=1.1.0* \\t--no-install-recommends\")\n"
                "(run \"git clone --no-checkout https://git.fedorahosted.org/git/lvm2.git /usr/local/lvm2 && cd /usr/local/lvm2 && git checkout -q v2_02_103\")\n"
                "(run \"cd /usr/local/lvm2 && ./configure --enable-static_link && make device-mapper && make install_device-mapper\")\n"
                "(run \"curl -sSL https://golang.org/dl/go1.3.src.tar.gz | tar -v -C /usr/local -xz\")\n"
                "(env \"PATH\" \"/usr/local/go/bin:$PATH\" \"\")\n"
                "(env \"GOPATH\" \"/go:/go/src/github.com/docker/docker/vendor\" \"\")\n"
                "(run \"cd /usr/local/go/src && ./make.bash --no-clean 2>&1\")\n"
                "(env \"DOCKER_CROSSPLATFORMS\" \"linux/386 linux/arm \\tdarwin/amd64 darwin/386 \\tfreebsd/amd64 freebsd/386 freebsd/arm\" \"\")\n"
                "(env \"GOARM\" \"5\" \"\")\n"
                "(run \"cd /usr/local/go/src && bash -xc 'for platform in $DOCKER_CROSSPLATFORMS; do GOOS=${platform%/*} GOARCH=${platform##*/} ./make.bash --no-clean 2>&1; done'\")\n"
                "(run \"go get golang.org/x/tools/cmd/cover\")\n"
                "(run \"gem install --no-rdoc --no-ri fpm --version 1.0.2\")\n"
                "(run \"git clone -b buildroot-2014.02 https://github.com/jpetazzo/docker-busybox.git /docker-busybox\")\n"
                "(run \"/bin/echo -e '[default]\\\\naccess_key=$AWS_ACCESS_KEY\\\\nsecret_key=$AWS_SECRET_KEY' > /.s3cfg\")\n"
                "(run \"git config --global user.email 'docker-dummy@example.com'\")\n"
                "(run \"groupadd -r docker\")\n"
                "(run \"useradd --create-home --gid docker unprivilegeduser\")\n"
                "(volume \"/var/lib/docker\")\n"
                "(workdir \"/go/src/github.com/docker/docker\")\n"
                "(env \"DOCKER_BUILDTAGS\" \"apparmor selinux\" \"\")\n"
                "(entrypoint \"hack/dind\")\n"
                "(copy \".\" \"/go/src/github.com/docker/docker\")\n"
                "" },
        { "env",
          "FROM ubuntu\n"
                "ENV name value\n"
                "ENV name=value\n"
                "ENV name=value name2=value2\n"
                "ENV name=\"value value1\"\n"
                "ENV name=value\\ value2\n"
                "ENV name=\"value'quote space'value2\"\n"
                "ENV name='value\"double quote\"value2'\n"
                "ENV name=value\\ value2 name2=value2\\ value3\n"
                "ENV name=\"a\\\"b\"\n"
                "ENV name=\"a\\'b\"\n"
                "ENV name='a\\'b'\n"
                "ENV name='a\\'b''\n"
                "ENV name='a\\\"b'\n"
                "ENV name=\"''\"\n"
                "# don't put anything after the next line - it must be the last line of the\n"
                "# Dockerfile and it must end with \\\n"
                "ENV name=value \\\n"
                "    name1=value1 \\\n"
                "    name2=\"value2a \\\n"
                "           value2b\" \\\n"
                "    name3=\"value3a\\n\\\"value3b\\\"\" \\\n"
                "\tname4=\"value4a\\\\nvalue4b\" \\\n"
                "",
          "(from \"ubuntu\")\n"
                "(env \"name\" \"value\" \"\")\n"
                "(env \"name\" \"value\" \"=\")\n"
                "(env \"name\" \"value\" \"=\" \"name2\" \"value2\" \"=\")\n"
                "(env \"name\" \"\\\"value value1\\\"\" \"=\")\n"
                "(env \"name\" \"value\\\\ value2\" \"=\")\n"
                "(env \"name\" \"\\\"value'quote space'value2\\\"\" \"=\")\n"
                "(env \"name\" \"'value\\\"double quote\\\"value2'\" \"=\")\n"
                "(env \"name\" \"value\\\\ value2\" \"=\" \"name2\" \"value2\\\\ value3\" \"=\")\n"
                "(env \"name\" \"\\\"a\\\\\\\"b\\\"\" \"=\")\n"
                "(env \"name\" \"\\\"a\\\\'b\\\"\" \"=\")\n"
                "(env \"name\" \"'a\\\\'b'\" \"=\")\n"
                "(env \"name\" \"'a\\\\'b''\" \"=\")\n"
                "(env \"name\" \"'a\\\\\\\"b'\" \"=\")\n"
                "(env \"name\" \"\\\"''\\\"\" \"=\")\n"
                "(env \"name\" \"value\" \"=\" \"name1\" \"value1\" \"=\" \"name2\" \"\\\"value2a            value2b\\\"\" \"=\" \"name3\" \"\\\"value3a\\\\n\\\\\\\"value3b\\\\\\\"\\\"\" \"=\" \"name4\" \"\\\"value4a\\\\\\\\nvalue4b\\\"\" \"=\")\n"
                "" },
        { "escape-after-comment",
          "# Comment here. Should not be looking for the following parser directive.\n"
                "# Hence the following line will be ignored, and the subsequent backslash\n"
                "# continuation will be the default.\n"
                "# escape = `\n"
                "\n"
                "FROM image\n"
                "LABEL maintainer foo@bar.com\n"
                "ENV GOPATH \\\n"
                "\\go",
          "(from \"image\")\n"
                "(label \"maintainer\" \"foo@bar.com\" \"\")\n"
                "(env \"GOPATH\" \"\\\\go\" \"\")\n"
                "" },
        { "escape-nonewline",
          "# escape = `\n"
                "# There is no white space line after the directives. This still succeeds, but goes\n"
                "# against best practices.\n"
                "FROM image\n"
                "LABEL maintainer foo@bar.com\n"
                "ENV GOPATH `\n"
                "\\go\n"
                "",
          "(from \"image\")\n"
                "(label \"maintainer\" \"foo@bar.com\" \"\")\n"
                "(env \"GOPATH\" \"\\\\go\" \"\")\n"
                "" },
        { "escape-with-syntax",
          "# syntax = docker/dockerfile\n"
                "# escape = `\n"
                "\n"
                "FROM `\n"
                "    image\n"
                "",
          "(from \"image\")\n"
                "" },
        { "escape",
          "#escape = `\n"
                "\n"
                "FROM image\n"
                "LABEL maintainer foo@bar.com\n"
                "ENV GOPATH `\n"
                "\\go",
          "(from \"image\")\n"
                "(label \"maintainer\" \"foo@bar.com\" \"\")\n"
                "(env \"GOPATH\" \"\\\\go\" \"\")\n"
                "" },
        { "escapes",
          "FROM ubuntu:14.04\n"
                "LABEL maintainer Erik \\\\Hollensbe <erik@hollensbe.org>\\\"\n"
                "\n"
                "RUN apt-get \\update && \\\n"
                "  apt-get \\\"install znc -y\n"
                "ADD \\conf\\\\\" /.znc\n"
                "\n"
                "RUN foo \\\n"
                "\n"
                "bar \\\n"
                "\n"
                "baz\n"
                "\n"
                "CMD [ \"\\/usr\\\\\\\"/bin/znc\", \"-f\", \"-r\" ]\n"
                "",
          "(from \"ubuntu:14.04\")\n"
                "(label \"maintainer\" \"Erik \\\\\\\\Hollensbe <erik@hollensbe.org>\\\\\\\"\" \"\")\n"
                "(run \"apt-get \\\\update &&   apt-get \\\\\\\"install znc -y\")\n"
                "(add \"\\\\conf\\\\\\\\\\\"\" \"/.znc\")\n"
                "(run \"foo bar baz\")\n"
                "(cmd \"/usr\\\\\\\"/bin/znc\" \"-f\" \"-r\")\n"
                "" },
        { "flags",
          "FROM scratch\n"
                "COPY foo /tmp/\n"
                "COPY --user=me foo /tmp/\n"
                "COPY --doit=true foo /tmp/\n"
                "COPY --user=me --doit=true foo /tmp/\n"
                "COPY --doit=true -- foo /tmp/\n"
                "COPY -- foo /tmp/\n"
                "CMD --doit [ \"a\", \"b\" ]\n"
                "CMD --doit=true -- [ \"a\", \"b\" ]\n"
                "CMD --doit -- [ ]\n"
                "",
          "(from \"scratch\")\n"
                "(copy \"foo\" \"/tmp/\")\n"
                "(copy [\"--user=me\"] \"foo\" \"/tmp/\")\n"
                "(copy [\"--doit=true\"] \"foo\" \"/tmp/\")\n"
                "(copy [\"--user=me\" \"--doit=true\"] \"foo\" \"/tmp/\")\n"
                "(copy [\"--doit=true\"] \"foo\" \"/tmp/\")\n"
                "(copy \"foo\" \"/tmp/\")\n"
                "(cmd [\"--doit\"] \"a\" \"b\")\n"
                "(cmd [\"--doit=true\"] \"a\" \"b\")\n"
                "(cmd [\"--doit\"])\n"
                "" },
        { "health",
          "FROM debian\n"
                "ADD check.sh main.sh /app/\n"
                "CMD /app/main.sh\n"
                "HEALTHCHECK\n"
                "HEALTHCHECK --interval=5s --timeout=3s --retries=3 \\\n"
                "  CMD /app/check.sh --quiet\n"
                "HEALTHCHECK CMD\n"
                "HEALTHCHECK   CMD   a b\n"
                "HEALTHCHECK --timeout=3s CMD [\"foo\"]\n"
                "HEALTHCHECK CONNECT TCP 7000\n"
                "HEALTHCHECK --start-period=0s --start-interval=0s --interval=5s --timeout=0s --retries=0 CMD [\"foo\"]\n"
                "",
          "(from \"debian\")\n"
                "(add \"check.sh\" \"main.sh\" \"/app/\")\n"
                "(cmd \"/app/main.sh\")\n"
                "(healthcheck)\n"
                "(healthcheck [\"--interval=5s\" \"--timeout=3s\" \"--retries=3\"] \"CMD\" \"/app/check.sh --quiet\")\n"
                "(healthcheck \"CMD\")\n"
                "(healthcheck \"CMD\" \"a b\")\n"
                "(healthcheck [\"--timeout=3s\"] \"CMD\" \"foo\")\n"
                "(healthcheck \"CONNECT\" \"TCP 7000\")\n"
                "(healthcheck [\"--start-period=0s\" \"--start-interval=0s\" \"--interval=5s\" \"--timeout=0s\" \"--retries=0\"] \"CMD\" \"foo\")\n"
                "" },
        { "influxdb",
          "FROM ubuntu:14.04\n"
                "\n"
                "RUN apt-get update && apt-get install wget -y\n"
                "RUN wget http://s3.amazonaws.com/influxdb/influxdb_latest_amd64.deb\n"
                "RUN dpkg -i influxdb_latest_amd64.deb\n"
                "RUN rm -r /opt/influxdb/shared\n"
                "\n"
                "VOLUME /opt/influxdb/shared\n"
                "\n"
                "CMD /usr/bin/influxdb --pidfile /var/run/influxdb.pid -config /opt/influxdb/shared/config.toml\n"
                "\n"
                "EXPOSE 8083\n"
                "EXPOSE 8086\n"
                "EXPOSE 8090\n"
                "EXPOSE 8099\n"
                "",
          "(from \"ubuntu:14.04\")\n"
                "(run \"apt-get update && apt-get install wget -y\")\n"
                "(run \"wget http://s3.amazonaws.com/influxdb/influxdb_latest_amd64.deb\")\n"
                "(run \"dpkg -i influxdb_latest_amd64.deb\")\n"
                "(run \"rm -r /opt/influxdb/shared\")\n"
                "(volume \"/opt/influxdb/shared\")\n"
                "(cmd \"/usr/bin/influxdb --pidfile /var/run/influxdb.pid -config /opt/influxdb/shared/config.toml\")\n"
                "(expose \"8083\")\n"
                "(expose \"8086\")\n"
                "(expose \"8090\")\n"
                "(expose \"8099\")\n"
                "" },
        { "jeztah-invalid-json-json-inside-string-double",
          "CMD \"[\\\"echo\\\", \\\"Phew, I just managed to escaped those double quotes\\\"]\"\n"
                "",
          "(cmd \"\\\"[\\\\\\\"echo\\\\\\\", \\\\\\\"Phew, I just managed to escaped those double quotes\\\\\\\"]\\\"\")\n"
                "" },
        { "jeztah-invalid-json-json-inside-string",
          "CMD '[\"echo\", \"Well, JSON in a string is JSON too?\"]'\n"
                "",
          "(cmd \"'[\\\"echo\\\", \\\"Well, JSON in a string is JSON too?\\\"]'\")\n"
                "" },
        { "jeztah-invalid-json-single-quotes",
          "CMD ['echo','single quotes are invalid JSON']\n"
                "",
          "(cmd \"['echo','single quotes are invalid JSON']\")\n"
                "" },
        { "jeztah-invalid-json-unterminated-bracket",
          "CMD [\"echo\", \"Please, close the brackets when you're done\"\n"
                "",
          "(cmd \"[\\\"echo\\\", \\\"Please, close the brackets when you're done\\\"\")\n"
                "" },
        { "jeztah-invalid-json-unterminated-string",
          "CMD [\"echo\", \"look ma, no quote!]\n"
                "",
          "(cmd \"[\\\"echo\\\", \\\"look ma, no quote!]\")\n"
                "" },
        { "json",
          "CMD []\n"
                "CMD [\"\"]\n"
                "CMD [\"a\"]\n"
                "CMD [\"a\",\"b\"]\n"
                "CMD [ \"a\", \"b\" ]\n"
                "CMD [\t\"a\",\t\"b\"\t]\n"
                "CMD\t[\t\"a\",\t\"b\"\t]\t\n"
                "CMD [\"abc 123\", \"\342\231\245\", \"\342\230\203\", \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"]\n"
                "",
          "(cmd)\n"
                "(cmd \"\")\n"
                "(cmd \"a\")\n"
                "(cmd \"a\" \"b\")\n"
                "(cmd \"a\" \"b\")\n"
                "(cmd \"a\" \"b\")\n"
                "(cmd \"a\" \"b\")\n"
                "(cmd \"abc 123\" \"\342\231\245\" \"\342\230\203\" \"\\\" \\\\ / \\b \\f \\n \\r \\t\")\n"
                "" },
        { "kartar-entrypoint-oddities",
          "FROM ubuntu:14.04\n"
                "LABEL maintainer James Turnbull \"james@example.com\"\n"
                "ENV REFRESHED_AT 2014-06-01\n"
                "RUN apt-get update\n"
                "RUN apt-get --no-install-recommends install -y redis-server redis-tools\n"
                "EXPOSE 6379\n"
                "ENTRYPOINT [ \"/usr/bin/redis-server\" ]\n"
                "",
          "(from \"ubuntu:14.04\")\n"
                "(label \"maintainer\" \"James Turnbull \\\"james@example.com\\\"\" \"\")\n"
                "(env \"REFRESHED_AT\" \"2014-06-01\" \"\")\n"
                "(run \"apt-get update\")\n"
                "(run \"apt-get --no-install-recommends install -y redis-server redis-tools\")\n"
                "(expose \"6379\")\n"
                "(entrypoint \"/usr/bin/redis-server\")\n"
                "" },
        { "lk4d4-the-edge-case-generator",
          "FROM busybox:buildroot-2014.02\n"
                "\n"
                "LABEL maintainer docker <docker@docker.io>\n"
                "\n"
                "ONBUILD RUN [\"echo\", \"test\"]\n"
                "ONBUILD RUN echo test\n"
                "ONBUILD COPY . /\n"
                "\n"
                "\n"
                "# RUN Commands \\\n"
                "# linebreak in comment \\\n"
                "RUN [\"ls\", \"-la\"]\n"
                "RUN [\"echo\", \"'1234'\"]\n"
                "RUN echo \"1234\"\n"
                "RUN echo 1234\n"
                "RUN echo '1234' && \\\n"
                "    echo \"456\" && \\\n"
                "    echo 789\n"
                "RUN    sh -c 'echo root:testpass \\\n"
                "        > /tmp/passwd'\n"
                "RUN mkdir -p /test /test2 /test3/test\n"
                "\n"
                "# ENV \\\n"
                "ENV SCUBA 1 DUBA 3\n"
                "ENV SCUBA \"1 DUBA 3\"\n"
                "\n"
                "# CMD \\\n"
                "CMD [\"echo\", \"test\"]\n"
                "CMD echo test\n"
                "CMD echo \"test\"\n"
                "CMD echo 'test'\n"
                "CMD echo 'test' | wc -\n"
                "\n"
                "#EXPOSE\\\n"
                "EXPOSE 3000\n"
                "EXPOSE 9000 5000 6000\n"
                "\n"
                "USER docker\n"
                "USER docker:root\n"
                "\n"
                "VOLUME [\"/test\"]\n"
                "VOLUME [\"/test\", \"/test2\"]\n"
                "VOLUME /test3\n"
                "\n"
                "WORKDIR /test\n"
                "\n"
                "ADD . /\n"
                "COPY . copy\n"
                "",
          "(from \"busybox:buildroot-2014.02\")\n"
                "(label \"maintainer\" \"docker <docker@docker.io>\" \"\")\n"
                "(onbuild (run \"echo\" \"test\"))\n"
                "(onbuild (run \"echo test\"))\n"
                "(onbuild (copy \".\" \"/\"))\n"
                "(run \"ls\" \"-la\")\n"
                "(run \"echo\" \"'1234'\")\n"
                "(run \"echo \\\"1234\\\"\")\n"
                "(run \"echo 1234\")\n"
                "(run \"echo '1234' &&     echo \\\"456\\\" &&     echo 789\")\n"
                "(run \"sh -c 'echo root:testpass         > /tmp/passwd'\")\n"
                "(run \"mkdir -p /test /test2 /test3/test\")\n"
                "(env \"SCUBA\" \"1 DUBA 3\" \"\")\n"
                "(env \"SCUBA\" \"\\\"1 DUBA 3\\\"\" \"\")\n"
                "(cmd \"echo\" \"test\")\n"
                "(cmd \"echo test\")\n"
                "(cmd \"echo \\\"test\\\"\")\n"
                "(cmd \"echo 'test'\")\n"
                "(cmd \"echo 'test' | wc -\")\n"
                "(expose \"3000\")\n"
                "(expose \"9000\" \"5000\" \"6000\")\n"
                "(user \"docker\")\n"
                "(user \"docker:root\")\n"
                "(volume \"/test\")\n"
                "(volume \"/test\" \"/test2\")\n"
                "(volume \"/test3\")\n"
                "(workdir \"/test\")\n"
                "(add \".\" \"/\")\n"
                "(copy \".\" \"copy\")\n"
                "" },
        { "mail",
          "FROM ubuntu:14.04\n"
                "\n"
                "RUN apt-get update -qy && apt-get install mutt offlineimap vim-nox abook elinks curl tmux cron zsh -y\n"
                "ADD .muttrc /\n"
                "ADD .offlineimaprc /\n"
                "ADD .tmux.conf /\n"
                "ADD mutt /.mutt\n"
                "ADD vim /.vim\n"
                "ADD vimrc /.vimrc\n"
                "ADD crontab /etc/crontab\n"
                "RUN chmod 644 /etc/crontab\n"
                "RUN mkdir /Mail\n"
                "RUN mkdir /.offlineimap\n"
                "RUN echo \"export TERM=screen-256color\" >/.zshenv\n"
                "\n"
                "CMD setsid cron; tmux -2\n"
                "",
          "(from \"ubuntu:14.04\")\n"
                "(run \"apt-get update -qy && apt-get install mutt offlineimap vim-nox abook elinks curl tmux cron zsh -y\")\n"
                "(add \".muttrc\" \"/\")\n"
                "(add \".offlineimaprc\" \"/\")\n"
                "(add \".tmux.conf\" \"/\")\n"
                "(add \"mutt\" \"/.mutt\")\n"
                "(add \"vim\" \"/.vim\")\n"
                "(add \"vimrc\" \"/.vimrc\")\n"
                "(add \"crontab\" \"/etc/crontab\")\n"
                "(run \"chmod 644 /etc/crontab\")\n"
                "(run \"mkdir /Mail\")\n"
                "(run \"mkdir /.offlineimap\")\n"
                "(run \"echo \\\"export TERM=screen-256color\\\" >/.zshenv\")\n"
                "(cmd \"setsid cron; tmux -2\")\n"
                "" },
        { "multiple-volumes",
          "FROM foo\n"
                "\n"
                "VOLUME /opt/nagios/var /opt/nagios/etc /opt/nagios/libexec /var/log/apache2 /usr/share/snmp/mibs\n"
                "",
          "(from \"foo\")\n"
                "(volume \"/opt/nagios/var\" \"/opt/nagios/etc\" \"/opt/nagios/libexec\" \"/var/log/apache2\" \"/usr/share/snmp/mibs\")\n"
                "" },
        { "mumble",
          "FROM ubuntu:14.04\n"
                "\n"
                "RUN apt-get update && apt-get install libcap2-bin mumble-server -y\n"
                "\n"
                "ADD ./mumble-server.ini /etc/mumble-server.ini\n"
                "\n"
                "CMD /usr/sbin/murmurd\n"
                "",
          "(from \"ubuntu:14.04\")\n"
                "(run \"apt-get update && apt-get install libcap2-bin mumble-server -y\")\n"
                "(add \"./mumble-server.ini\" \"/etc/mumble-server.ini\")\n"
                "(cmd \"/usr/sbin/murmurd\")\n"
                "" },
        { "nginx",
          "FROM ubuntu:14.04\n"
                "LABEL maintainer Erik Hollensbe <erik@hollensbe.org>\n"
                "\n"
                "RUN apt-get update && apt-get install nginx-full -y\n"
                "RUN rm -rf /etc/nginx\n"
                "ADD etc /etc/nginx\n"
                "RUN chown -R root:root /etc/nginx\n"
                "RUN /usr/sbin/nginx -qt\n"
                "RUN mkdir /www\n"
                "\n"
                "CMD [\"/usr/sbin/nginx\"]\n"
                "\n"
                "VOLUME /www\n"
                "EXPOSE 80\n"
                "",
          "(from \"ubuntu:14.04\")\n"
                "(label \"maintainer\" \"Erik Hollensbe <erik@hollensbe.org>\" \"\")\n"
                "(run \"apt-get update && apt-get install nginx-full -y\")\n"
                "(run \"rm -rf /etc/nginx\")\n"
                "(add \"etc\" \"/etc/nginx\")\n"
                "(run \"chown -R root:root /etc/nginx\")\n"
                "(run \"/usr/sbin/nginx -qt\")\n"
                "(run \"mkdir /www\")\n"
                "(cmd \"/usr/sbin/nginx\")\n"
                "(volume \"/www\")\n"
                "(expose \"80\")\n"
                "" },
        { "tf2",
          "FROM ubuntu:12.04\n"
                "\n"
                "EXPOSE 27015\n"
                "EXPOSE 27005\n"
                "EXPOSE 26901\n"
                "EXPOSE 27020\n"
                "\n"
                "RUN apt-get update && apt-get install libc6-dev-i386 curl unzip -y\n"
                "RUN mkdir -p /steam\n"
                "RUN curl http://media.steampowered.com/client/steamcmd_linux.tar.gz | tar vxz -C /steam\n"
                "ADD ./script /steam/script\n"
                "RUN /steam/steamcmd.sh +runscript /steam/script\n"
                "RUN curl http://mirror.pointysoftware.net/alliedmodders/mmsource-1.10.0-linux.tar.gz | tar vxz -C /steam/tf2/tf\n"
                "RUN curl http://mirror.pointysoftware.net/alliedmodders/sourcemod-1.5.3-linux.tar.gz | tar vxz -C /steam/tf2/tf\n"
                "ADD ./server.cfg /steam/tf2/tf/cfg/server.cfg\n"
                "ADD ./ctf_2fort.cfg /steam/tf2/tf/cfg/ctf_2fort.cfg\n"
                "ADD ./sourcemod.cfg /steam/tf2/tf/cfg/sourcemod/sourcemod.cfg\n"
                "RUN rm -r /steam/tf2/tf/addons/sourcemod/configs\n"
                "ADD ./configs /steam/tf2/tf/addons/sourcemod/configs\n"
                "RUN mkdir -p /steam/tf2/tf/addons/sourcemod/translations/en\n"
                "RUN cp /steam/tf2/tf/addons/sourcemod/translations/*.txt /steam/tf2/tf/addons/sourcemod/translations/en\n"
                "\n"
                "CMD cd /steam/tf2 && ./srcds_run -port 27015 +ip 0.0.0.0 +map ctf_2fort -autoupdate -steam_dir /steam -steamcmd_script /steam/script +tf_bot_quota 12 +tf_bot_quota_mode fill\n"
                "",
          "(from \"ubuntu:12.04\")\n"
                "(expose \"27015\")\n"
                "(expose \"27005\")\n"
                "(expose \"26901\")\n"
                "(expose \"27020\")\n"
                "(run \"apt-get update && apt-get install libc6-dev-i386 curl unzip -y\")\n"
                "(run \"mkdir -p /steam\")\n"
                "(run \"curl http://media.steampowered.com/client/steamcmd_linux.tar.gz | tar vxz -C /steam\")\n"
                "(add \"./script\" \"/steam/script\")\n"
                "(run \"/steam/steamcmd.sh +runscript /steam/script\")\n"
                "(run \"curl http://mirror.pointysoftware.net/alliedmodders/mmsource-1.10.0-linux.tar.gz | tar vxz -C /steam/tf2/tf\")\n"
                "(run \"curl http://mirror.pointysoftware.net/alliedmodders/sourcemod-1.5.3-linux.tar.gz | tar vxz -C /steam/tf2/tf\")\n"
                "(add \"./server.cfg\" \"/steam/tf2/tf/cfg/server.cfg\")\n"
                "(add \"./ctf_2fort.cfg\" \"/steam/tf2/tf/cfg/ctf_2fort.cfg\")\n"
                "(add \"./sourcemod.cfg\" \"/steam/tf2/tf/cfg/sourcemod/sourcemod.cfg\")\n"
                "(run \"rm -r /steam/tf2/tf/addons/sourcemod/configs\")\n"
                "(add \"./configs\" \"/steam/tf2/tf/addons/sourcemod/configs\")\n"
                "(run \"mkdir -p /steam/tf2/tf/addons/sourcemod/translations/en\")\n"
                "(run \"cp /steam/tf2/tf/addons/sourcemod/translations/*.txt /steam/tf2/tf/addons/sourcemod/translations/en\")\n"
                "(cmd \"cd /steam/tf2 && ./srcds_run -port 27015 +ip 0.0.0.0 +map ctf_2fort -autoupdate -steam_dir /steam -steamcmd_script /steam/script +tf_bot_quota 12 +tf_bot_quota_mode fill\")\n"
                "" },
        { "trailing-backslash",
          "# https://github.com/docker/for-win/issues/5254\n"
                "\n"
                "FROM hello-world\n"
                "\n"
                "ENV A path\n"
                "ENV B another\\\\path\n"
                "ENV C trailing\\\\backslash\\\\\n"
                "ENV D This should not be appended to C\n"
                "ENV E hello\\\n"
                "\\\n"
                "world\n"
                "ENV F hello\\\n"
                " \\\n"
                "world\n"
                "ENV G hello \\\n"
                "\\\n"
                "world\n"
                "",
          "(from \"hello-world\")\n"
                "(env \"A\" \"path\" \"\")\n"
                "(env \"B\" \"another\\\\\\\\path\" \"\")\n"
                "(env \"C\" \"trailing\\\\\\\\backslash\\\\\\\\\" \"\")\n"
                "(env \"D\" \"This should not be appended to C\" \"\")\n"
                "(env \"E\" \"helloworld\" \"\")\n"
                "(env \"F\" \"hello world\" \"\")\n"
                "(env \"G\" \"hello world\" \"\")\n"
                "" },
        { "weechat",
          "FROM ubuntu:14.04\n"
                "\n"
                "RUN apt-get update -qy && apt-get install tmux zsh weechat-curses -y\n"
                "\n"
                "ADD .weechat /.weechat\n"
                "ADD .tmux.conf /\n"
                "RUN echo \"export TERM=screen-256color\" >/.zshenv\n"
                "\n"
                "CMD zsh -c weechat\n"
                "",
          "(from \"ubuntu:14.04\")\n"
                "(run \"apt-get update -qy && apt-get install tmux zsh weechat-curses -y\")\n"
                "(add \".weechat\" \"/.weechat\")\n"
                "(add \".tmux.conf\" \"/\")\n"
                "(run \"echo \\\"export TERM=screen-256color\\\" >/.zshenv\")\n"
                "(cmd \"zsh -c weechat\")\n"
                "" },
        { "znc",
          "FROM ubuntu:14.04\n"
                "LABEL maintainer Erik Hollensbe <erik@hollensbe.org>\n"
                "\n"
                "RUN apt-get update && apt-get install znc -y\n"
                "ADD conf /.znc\n"
                "\n"
                "CMD [ \"/usr/bin/znc\", \"-f\", \"-r\" ]\n"
                "",
          "(from \"ubuntu:14.04\")\n"
                "(label \"maintainer\" \"Erik Hollensbe <erik@hollensbe.org>\" \"\")\n"
                "(run \"apt-get update && apt-get install znc -y\")\n"
                "(add \"conf\" \"/.znc\")\n"
                "(cmd \"/usr/bin/znc\" \"-f\" \"-r\")\n"
                "" },
};

static void dump_node(const DockerfileInstruction *i, BuildBuf *b)
{
        _cleanup_free_ char *kw = build_ascii_lower(i->keyword);

        build_buf_puts(b, kw);
        if (i->flags && i->flags[0]) {
                build_buf_puts(b, " [");
                for (size_t k = 0; i->flags[k]; k++) {
                        _cleanup_free_ char *q = build_go_quote(i->flags[k]);
                        build_buf_puts(b, k ? " " : "");
                        build_buf_puts(b, q);
                }
                build_buf_puts(b, "]");
        }
        if (i->kind == DOCKERFILE_ONBUILD) {
                if (i->trigger) {
                        build_buf_puts(b, " (");
                        dump_node(i->trigger, b);
                        build_buf_puts(b, ")");
                }
                return;
        }
        if (i->kind < 0) {
                build_buf_puts(b, " \"\"");
                return;
        }
        for (size_t k = 0; i->args && i->args[k]; k++) {
                _cleanup_free_ char *q = build_go_quote(i->args[k]);
                build_buf_putc(b, ' ');
                build_buf_puts(b, q);
        }
}

static char *dump(const char *dockerfile, LadeError **err)
{
        DockerfileInstruction **nodes = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        BuildBuf b = {};
        size_t n = 0;

        if (dockerfile_parse_nodes(dockerfile, strlen(dockerfile), &nodes, &n, &warnings, err) < 0)
                return NULL;
        build_buf_puts(&b, "");
        for (size_t k = 0; k < n; k++) {
                build_buf_putc(&b, '(');
                dump_node(nodes[k], &b);
                build_buf_puts(&b, ")\n");
                dockerfile_instruction_free(nodes[k]);
        }
        free(nodes);
        return build_buf_steal(&b);
}

static void test_buildkit_testfiles(void **state)
{
        for (size_t k = 0; k < ELEMENTSOF(testfiles); k++) {
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                _cleanup_free_ char *got = dump(testfiles[k].dockerfile, &err);

                if (!got)
                        fail_msg("%s: %s", testfiles[k].name, err->msg);
                if (!streq(got, testfiles[k].result))
                        fail_msg("%s:\nexpected:\n%s\ngot:\n%s", testfiles[k].name, testfiles[k].result, got);
        }
}

typedef struct ErrorCase {
        const char *dockerfile;
        const char *message;  /* the whole message */
        unsigned line;
} ErrorCase;

#define PE(n, m) "dockerfile parse error on line " #n ": " m

static const ErrorCase error_cases[] = {
        /* testfiles-negative */
        { "", "the Dockerfile cannot be empty", 0 },
        { "# only\n# comments\n", "file with no instructions", 2 },
        { "FROM busybox\n\nENV PATH\n", PE(3, "ENV must have two arguments"), 3 },
        { "CMD [ \"echo\", [ \"nested json\" ] ]\n",
          PE(1, "when using JSON array syntax, arrays must be comprised of strings only"), 1 },
        /* parse_test.go: TestErrorCases and the argument-count tests */
        { "FROM busybox\nCOPY\t\n", PE(2, "COPY requires at least two arguments, but only one was provided. Destination could not be determined"), 2 },
        { "FROM busybox\nCOPY foo\n", PE(2, "COPY requires at least two arguments, but only one was provided. Destination could not be determined"), 2 },
        { "FROM busybox\nADD foo\n", PE(2, "ADD requires at least two arguments, but only one was provided. Destination could not be determined"), 2 },
        { "FROM busybox\nONBUILD FROM scratch\n", PE(2, "FROM isn't allowed as an ONBUILD trigger"), 2 },
        { "FROM busybox\nONBUILD MAINTAINER me\n", PE(2, "MAINTAINER isn't allowed as an ONBUILD trigger"), 2 },
        { "FROM busybox\nMAINTAINER --boo joe@example.com\n", PE(2, "unknown flag: --boo"), 2 },
        { "FROM busybox\nONBUILD ONBUILD RUN touch foobar\n", PE(2, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"), 2 },
        { "FROM busybox\nFOO bar\n", PE(2, "unknown instruction: FOO (did you mean FROM?)"), 2 },
        { "FROM busybox\nfoo bar\n", PE(2, "unknown instruction: foo (did you mean from?)"), 2 },
        { "FROM busybox\nXYZZY bar\n", PE(2, "unknown instruction: XYZZY"), 2 },
        { "FROM busybox\nRUNN echo\n", PE(2, "unknown instruction: RUNN (did you mean RUN?)"), 2 },
        { "FROM busybox\ncopyy a b\n", PE(2, "unknown instruction: copyy (did you mean copy?)"), 2 },
        { "FROM busybox\nMAINTAINER\n", PE(2, "MAINTAINER requires exactly one argument"), 2 },
        { "FROM busybox\nWORKDIR\n", PE(2, "WORKDIR requires exactly one argument"), 2 },
        { "FROM busybox\nUSER\n", PE(2, "USER requires exactly one argument"), 2 },
        { "FROM busybox\nSTOPSIGNAL\n", PE(2, "STOPSIGNAL requires exactly one argument"), 2 },
        { "FROM busybox\nENV\n", PE(2, "ENV requires at least one argument"), 2 },
        { "FROM busybox\nLABEL\n", PE(2, "LABEL requires at least one argument"), 2 },
        { "FROM busybox\nONBUILD\n", PE(2, "ONBUILD requires at least one argument"), 2 },
        { "FROM busybox\nHEALTHCHECK\n", PE(2, "HEALTHCHECK requires at least one argument"), 2 },
        { "FROM busybox\nEXPOSE\n", PE(2, "EXPOSE requires at least one argument"), 2 },
        { "FROM busybox\nVOLUME\n", PE(2, "VOLUME requires at least one argument"), 2 },
        { "FROM busybox\nVOLUME []\n", PE(2, "VOLUME requires at least one argument"), 2 },
        { "FROM busybox\nVOLUME [\"\"]\n", PE(2, "VOLUME specified can not be an empty string"), 2 },
        { "FROM busybox\nARG\n", PE(2, "ARG requires at least one argument"), 2 },
        { "FROM busybox\nARG =x\n", PE(2, "ARG names can not be blank"), 2 },
        { "FROM busybox\nENV =x\n", PE(2, "ENV names can not be blank"), 2 },
        { "FROM busybox\nLABEL a=b c\n", PE(2, "Syntax error - can't find = in \"c\". Must be of the form: name=value"), 2 },
        { "FROM busybox\nSHELL /bin/sh -c\n", PE(2, "SHELL requires the arguments to be in JSON form"), 2 },
        { "FROM busybox\nSHELL []\n", PE(2, "SHELL requires at least one argument"), 2 },
        { "FROM\n", PE(1, "FROM requires either one or three arguments"), 1 },
        { "FROM a b\n", PE(1, "FROM requires either one or three arguments"), 1 },
        { "FROM busybox AS 1st\n", PE(1, "invalid name for build stage: \"1st\", name can't start with a number or contain symbols"), 1 },
        { "FROM busybox AS a/b\n", PE(1, "invalid name for build stage: \"a/b\", name can't start with a number or contain symbols"), 1 },
        { "FROM --platform linux/amd64 busybox\n", PE(1, "FROM requires either one or three arguments"), 1 },
        { "FROM --platform busybox\n", PE(1, "missing a value on flag: --platform"), 1 },
        { "FROM --platfrom=linux/amd64 busybox\n", PE(1, "unknown flag: --platfrom (did you mean platform?)"), 1 },
        { "RUN true\n", PE(1, "no build stage in current context"), 1 },
        { "ARG A\n", "dockerfile contains no stages to build", 0 },
        { "FROM busybox\nCOPY --form=x a b\n", PE(2, "unknown flag: --form (did you mean from?)"), 2 },
        { "FROM busybox\nCOPY --from=a --from=b a b\n", PE(2, "duplicate flag specified: --from"), 2 },
        { "FROM busybox\nCOPY --link=maybe a b\n", PE(2, "expecting boolean value for flag --link, not: maybe"), 2 },
        { "FROM busybox\nCOPY --link= a b\n", PE(2, "missing a value on flag: --link"), 2 },
        { "FROM busybox\nCOPY --chown a b\n", PE(2, "missing a value on flag: --chown"), 2 },
        { "FROM busybox\nCOPY --checksum=sha256:x a b\n", PE(2, "unknown flag: --checksum"), 2 },
        { "FROM busybox\nCOPY --keep-git-dir a b\n", PE(2, "unknown flag: --keep-git-dir"), 2 },
        { "FROM busybox\nADD --from=x a b\n", PE(2, "unknown flag: --from"), 2 },
        { "FROM busybox\nCOPY a <<EOF\nx\nEOF\n", PE(2, "COPY cannot accept a heredoc as a destination"), 2 },
        { "FROM busybox\nRUN --network=bridge true\n", PE(2, "invalid network mode \"bridge\""), 2 },
        { "FROM busybox\nRUN --security=root true\n", PE(2, "security \"root\" is not valid"), 2 },
        { "FROM busybox\nRUN --mount=type=cahce,target=/c true\n", PE(2, "unsupported mount type \"cahce\" (did you mean cache?)"), 2 },
        { "FROM busybox\nRUN --mount=type=cache,target=/c,sharing=open true\n", PE(2, "unsupported sharing value \"open\""), 2 },
        { "FROM busybox\nRUN --mount=type=bind,sharing=locked true\n", PE(2, "invalid cache sharing set for bind mount"), 2 },
        { "FROM busybox\nRUN --mount=type=bind,zzzzz=1 true\n", PE(2, "unexpected key 'zzzzz' in 'zzzzz=1'"), 2 },
        { "FROM busybox\nRUN --mount=type=bind,tagret=/x true\n", PE(2, "unexpected key 'tagret' in 'tagret=/x' (did you mean target?)"), 2 },
        { "FROM busybox\nRUN --mount=type=bind,nokey true\n", PE(2, "invalid field 'nokey' must be a key=value pair"), 2 },
        { "FROM busybox\nRUN --mount=type=bind,mode=0700 true\n", PE(2, "mode not allowed for \"bind\" type mounts"), 2 },
        { "FROM busybox\nRUN --mount=type=cache,mode=9 true\n", PE(2, "invalid value 9 for mode"), 2 },
        { "FROM busybox\nRUN --mount=type=tmpfs,size=big true\n", PE(2, "invalid value for size: big"), 2 },
        { "FROM busybox\nRUN --mount=type=cache,size=1m true\n", PE(2, "unexpected key 'size' for mount type 'cache'"), 2 },
        { "FROM busybox\nRUN --mount=type=bind,required true\n", PE(2, "unexpected key 'required' for mount type 'bind'"), 2 },
        { "FROM busybox\nRUN --mount=type=bind,ro=maybe true\n", PE(2, "invalid value for ro: maybe"), 2 },
        { "FROM busybox\nRUN --mount=type=secret true\n", PE(2, "invalid secret mount. one of source, target required"), 2 },
        { "FROM busybox\nRUN --mount=type=secret,id=a,from=b true\n", PE(2, "secret mount should not have a from"), 2 },
        { "FROM busybox\nRUN --mount=type=secret,id=a,src=b true\n", PE(2, "both source and id can't be set"), 2 },
        { "FROM busybox\nRUN --mount=type=bind,from=$X true\n", PE(2, "'from' doesn't support variable expansion, define alias stage instead"), 2 },
        { "FROM busybox\nRUN --mount=\"type=bind true\n", PE(2, "unsupported mount type \"bind true\""), 2 },
        { "FROM busybox\nRUN --mount=type=bind,src=a\\\"b true\n", PE(2, "failed to parse csv mounts: bare \" in non-quoted-field"), 2 },
        { "FROM busybox\nRUN --device=/dev/x true\n", PE(2, "unknown flag: --device"), 2 },
        { "FROM busybox\nHEALTHCHECK NONE x\n", PE(2, "HEALTHCHECK NONE takes no arguments"), 2 },
        { "FROM busybox\nHEALTHCHECK CMD\n", PE(2, "Missing command after HEALTHCHECK CMD"), 2 },
        { "FROM busybox\nHEALTHCHECK CONNECT TCP 7000\n", PE(2, "Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)"), 2 },
        { "FROM busybox\nHEALTHCHECK --interval=50ns CMD true\n", PE(2, "Interval \"interval\" cannot be less than 1ms"), 2 },
        { "FROM busybox\nHEALTHCHECK --timeout=abc CMD true\n", PE(2, "time: invalid duration \"abc\""), 2 },
        { "FROM busybox\nHEALTHCHECK --timeout=10 CMD true\n", PE(2, "time: missing unit in duration \"10\""), 2 },
        { "FROM busybox\nHEALTHCHECK --timeout=10y CMD true\n", PE(2, "time: unknown unit \"y\" in duration \"10y\""), 2 },
        { "FROM busybox\nHEALTHCHECK --retries=-1 CMD true\n", PE(2, "--retries cannot be negative (-1)"), 2 },
        { "FROM busybox\nHEALTHCHECK --retries=x CMD true\n", PE(2, "strconv.ParseInt: parsing \"x\": invalid syntax"), 2 },
        { "FROM busybox\nHEALTHCHECK --start-period=1s --interval=1s --intervall=2s CMD true\n",
          PE(2, "unknown flag: --intervall (did you mean interval?)"), 2 },
        /* parser-level errors */
        { "FROM busybox\nRUN <<EOF\necho\n", PE(2, "unterminated heredoc"), 2 },
        { "# escape=x\nFROM busybox\n", PE(1, "invalid escape token 'x' does not match ` or \\"), 1 },
        { "# syntax=a\n# syntax=b\nFROM busybox\n", PE(2, "only one syntax parser directive can be used"), 2 },
        { "FROM busybox\nRUN a\0b\n", PE(2, "NUL byte in the Dockerfile"), 2 },
        /* ONBUILD triggers are checked when defined (lade) */
        { "FROM busybox\nONBUILD FOO bar\n", PE(2, "unknown instruction: FOO (did you mean FROM?)"), 2 },
        { "FROM busybox\nONBUILD COPY a\n", PE(2, "COPY requires at least two arguments, but only one was provided. Destination could not be determined"), 2 },
        { "FROM busybox\n\n\nCOPY --chmod=644 \\\n  --bad x \\\n  /y\n", PE(4, "unknown flag: --bad"), 4 },
};

static void test_errors(void **state)
{
        for (size_t k = 0; k < ELEMENTSOF(error_cases); k++) {
                const ErrorCase *c = &error_cases[k];
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                _cleanup_(dockerfile_freep) Dockerfile *df = NULL;
                size_t len = c->dockerfile[0] ? strlen(c->dockerfile) : 0;
                unsigned line = 99;

                if (strstr(c->message, "NUL byte"))
                        len = strlen(c->dockerfile) + 3; /* "b\n" after the NUL */
                if (dockerfile_parse(c->dockerfile, len, &df, &line, &err) >= 0)
                        fail_msg("case %zu: expected \"%s\", parsed", k, c->message);
                assert_null(df);
                if (!streq(err->msg, c->message))
                        fail_msg("case %zu: expected \"%s\", got \"%s\"", k, c->message, err->msg);
                if (line != c->line)
                        fail_msg("case %zu (%s): expected line %u, got %u", k, c->message, c->line, line);
        }
}

static Dockerfile *parse_ok(const char *text)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        Dockerfile *df = NULL;

        if (dockerfile_parse(text, strlen(text), &df, NULL, &err) < 0)
                fail_msg("%s: %s", text, err->msg);
        return df;
}

static const DockerfileInstruction *nth(const Dockerfile *df, size_t k)
{
        assert_true(k < df->n_all);
        return df->all[k];
}

typedef struct HeredocCase {
        const char *name, *content;
        bool expand, chomp;
        unsigned fd;
} HeredocCase;

/* parser_heredoc_test.go: TestParseExtractsHeredoc (instruction, then its heredocs) */
static void test_heredocs(void **state)
{
        static const char text[] =
                "FROM alpine:3.6\nENV NAME=me\nRUN ls\nUSER <<INVALID\nINVALID\n"
                "RUN <<EMPTY\nEMPTY\nRUN 3<<EMPTY2\nEMPTY2\nRUN \"<<NOHEREDOC\"\n"
                "RUN <<INDENT\n\tfoo\n\tbar\nINDENT\n"
                "RUN <<-UNINDENT\n\tbaz\n\tquux\nUNINDENT\n"
                "RUN <<-UNINDENT2\n\tbaz\n\tquux\n\tUNINDENT2\n"
                "RUN <<-EXPAND\n\texpand $NAME\nEXPAND\n"
                "RUN <<-'NOEXPAND'\n\tdon't expand $NAME\nNOEXPAND\n"
                "RUN <<COMMENT\n# internal comment\necho hello world\necho foo bar # trailing comment\nCOMMENT\n"
                "RUN --mount=type=cache,target=/foo <<MOUNT\necho hello\nMOUNT\n"
                "COPY <<FILE1 <<FILE2 /dest\ncontent 1\nFILE1\ncontent 2\nFILE2\n"
                "COPY <<X <<Y /dest\nY\nX\nX\nY\n"
                "RUN <<COMPLEX python3\nprint('hello world')\nCOMPLEX\n"
                "RUN <<eo'f'\necho foo\neof\n"
                "RUN <<eo\\'f\necho foo\neo'f\n"
                "RUN <<'e'o\\'f\necho foo\neo'f\n"
                "RUN <<'one two'\necho bar\none two\n"
                "RUN <<$EOF\n$EOF\n"
                "RUN <<  EOF  > foo\nEOF\n"
                "RUN [\"<<EOF\"]\n";
        static const HeredocCase want[][2] = {
                {}, {}, {}, {},             /* FROM, ENV, RUN ls, USER <<INVALID */
                {},                         /* INVALID (an unknown instruction line) */
                { { "EMPTY", "", true } },
                { { "EMPTY2", "", true, false, 3 } },
                {},
                { { "INDENT", "\tfoo\n\tbar\n", true } },
                { { "UNINDENT", "\tbaz\n\tquux\n", true, true } },
                { { "UNINDENT2", "\tbaz\n\tquux\n", true, true } },
                { { "EXPAND", "\texpand $NAME\n", true, true } },
                { { "NOEXPAND", "\tdon't expand $NAME\n", false, true } },
                { { "COMMENT", "# internal comment\necho hello world\necho foo bar # trailing comment\n", true } },
                { { "MOUNT", "echo hello\n", true } },
                { { "FILE1", "content 1\n", true }, { "FILE2", "content 2\n", true } },
                { { "X", "Y\n", true }, { "Y", "X\n", true } },
                { { "COMPLEX", "print('hello world')\n", true } },
                { { "eof", "echo foo\n", false } },
                { { "eo'f", "echo foo\n", true } },
                { { "eo'f", "echo foo\n", false } },
                { { "one two", "echo bar\n", false } },
                { { "$EOF", "", true } },
                { { "EOF", "", true } },
                {},
        };
        DockerfileInstruction **nodes = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        size_t n = 0;

        assert_int_equal(dockerfile_parse_nodes(text, strlen(text), &nodes, &n, &warnings, NULL), 0);
        assert_int_equal(n, ELEMENTSOF(want));
        for (size_t k = 0; k < n; k++) {
                size_t expected = want[k][0].name ? (want[k][1].name ? 2 : 1) : 0;
                if (nodes[k]->n_heredocs != expected)
                        fail_msg("instruction %zu (%s): %zu heredocs, expected %zu", k, nodes[k]->original,
                                 nodes[k]->n_heredocs, expected);
                for (size_t h = 0; h < expected; h++) {
                        const DockerfileHeredoc *got = &nodes[k]->heredocs[h];
                        assert_string_equal(got->name, want[k][h].name);
                        assert_string_equal(got->content, want[k][h].content);
                        assert_int_equal(got->expand, want[k][h].expand);
                        assert_int_equal(got->chomp, want[k][h].chomp);
                        assert_int_equal(got->fd, want[k][h].fd);
                }
                dockerfile_instruction_free(nodes[k]);
        }
        free(nodes);
}

/* TestParseHeredocHelpers */
static void test_heredoc_words(void **state)
{
        static const char *const valid[] = { "<<EOF", "<<'EOF'", "<<\"EOF\"", "<<-EOF", "<<-'EOF'",
                                             "<<-\"EOF\"", "<<EO\"F\"", "<< EOF", "<<- EOF" };
        static const char *const not[] = { "", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh",
                                           "<<'EOF", "<<\"EOF", "<<EOF'", "<<EOF\"" };
        for (size_t k = 0; k < ELEMENTSOF(valid); k++) {
                DockerfileHeredoc h = {};
                assert_int_equal(dockerfile_word_heredoc(valid[k], &h), 1);
                assert_string_equal(h.name, "EOF");
                free(h.name);
        }
        for (size_t k = 0; k < ELEMENTSOF(not); k++) {
                DockerfileHeredoc h = {};
                assert_int_equal(dockerfile_word_heredoc(not[k], &h), 0);
        }
        DockerfileHeredoc c = { .content = "\thello\n\t\tworld\n  x\n", .chomp = true };
        _cleanup_free_ char *body = dockerfile_heredoc_body(&c);
        assert_string_equal(body, "hello\nworld\n  x\n");
}

/* TestParseIncludesLineNumbers (testfile-line) and TestParseWarnsOnEmptyContinutationLine */
static void test_lines_and_warnings(void **state)
{
        static const char lines[] =
                "# ESCAPE=\\\n\n\n\nFROM brimstone/ubuntu:14.04\n\n\n# TORUN -v /var/run/docker.sock:/var/run/docker.sock\n\n\n"
                "ENV GOPATH \\\n/go\n\n\n\n# Install the packages we need, clean up after them and us\n"
                "RUN apt-get update \\\n\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.clean \\\n\n\n"
                "    && apt-get --no-install-recommends install -y git golang ca-certificates \\\n"
                "    && apt-get clean \\\n    && rm -rf /var/lib/apt/lists \\\n\n"
                "\t&& go get -v github.com/brimstone/consuldock \\\n"
                "    && mv $GOPATH/bin/consuldock /usr/local/bin/consuldock \\\n\n"
                "\t&& dpkg -l | awk '/^ii/ {print $2}' > /tmp/dpkg.dirty \\\n"
                "\t&& apt-get remove --purge -y $(diff /tmp/dpkg.clean /tmp/dpkg.dirty | awk '/^>/ {print $2}') \\\n"
                "\t&& rm /tmp/dpkg.* \\\n\t&& rm -rf $GOPATH\n\n\n\n\n";
        static const char warn[] =
                "\nFROM alpine:3.6\n\nRUN valid \\\n    continuation\n\nRUN something \\\n\n    following \\\n\n    more\n\n"
                "RUN another \\\n\n    thing\n\nRUN non-indented \\\n# this is a comment\n   after-comment\n\n"
                "RUN indented \\\n    # this is an indented comment\n    comment\n\t";
        _cleanup_(dockerfile_freep) Dockerfile *df = parse_ok(lines), *dw = parse_ok(warn);
        const unsigned want[][2] = { { 5, 5 }, { 11, 12 }, { 17, 31 } };

        assert_int_equal(df->n_all, 3);
        for (size_t k = 0; k < 3; k++) {
                assert_int_equal(df->all[k]->start_line, want[k][0]);
                assert_int_equal(df->all[k]->end_line, want[k][1]);
        }
        assert_int_equal(strv_length(dw->warnings), 2);
        assert_true(strstr(dw->warnings[0], "Empty continuation line found in: RUN something     following     more"));
        assert_true(strstr(dw->warnings[1], "Empty continuation line found in: RUN another     thing"));
        assert_string_equal(dw->all[4]->original, "RUN non-indented    after-comment");
}

static void test_directives(void **state)
{
        _cleanup_(dockerfile_freep) Dockerfile *a = parse_ok("# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM busybox\nRUN echo a `\n  b\n");
        _cleanup_(dockerfile_freep) Dockerfile *b = parse_ok("\xEF\xBB\xBF#Escape = ` \nFROM busybox\nRUN echo \\\n");
        _cleanup_(dockerfile_freep) Dockerfile *c = parse_ok("# comment first\n# escape=`\nFROM busybox\nRUN a \\\nb\n");
        _cleanup_(dockerfile_freep) Dockerfile *d = parse_ok("\n# escape=`\nFROM busybox\n");
        _cleanup_(dockerfile_freep) Dockerfile *e = parse_ok("#unknown=x\n# escape=`\nFROM busybox\n");

        assert_int_equal(a->escape, '`');
        assert_string_equal(a->syntax, "docker/dockerfile:1");
        assert_string_equal(a->check, "skip=all");
        assert_string_equal(a->all[1]->original, "RUN echo a   b");
        assert_int_equal(b->escape, '`');
        assert_string_equal(b->all[1]->args[0], "echo \\");
        /* a directive after anything else is a comment */
        assert_int_equal(c->escape, '\\');
        assert_int_equal(c->n_all, 2);
        assert_string_equal(c->all[1]->original, "RUN a b");
        assert_int_equal(d->escape, '\\');
        assert_int_equal(e->escape, '\\');
}

static void test_instructions(void **state)
{
        _cleanup_(dockerfile_freep) Dockerfile *df = parse_ok(
                "ARG BASE=busybox\nARG TAG\n"
                "from ${BASE}:${TAG:-latest} As Builder\n"
                "ENV A=1 B=\"two words\" \\\n    C=3\n"
                "ENV LEGACY a value  with spaces\n"
                "LABEL a=b \"c d\"=e\n"
                "ARG X Y=2 Z=\n"
                "EXPOSE 8080/tcp 80 443\n"
                "COPY --from=0 --chown=1:1 --chmod=644 --link --exclude=*.md --exclude=*.txt a b /dst/\n"
                "ADD --checksum=sha256:abc --keep-git-dir=false --unpack https://x/y.tgz /\n"
                "RUN --mount=type=cache,target=/root/.cache,id=c1,sharing=locked --mount=type=tmpfs,target=/t,size=1m --network=none echo hi\n"
                "RUN [\"echo\", \"exec\"]\n"
                "RUN [\"echo\", 'not json']\n"
                "CMD [\"sh\"]\nENTRYPOINT []\n"
                "HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --start-interval=1.5s --retries=3 CMD curl -f x || exit 1\n"
                "HEALTHCHECK NONE\n"
                "SHELL [\"/bin/sh\", \"-ec\"]\n"
                "VOLUME /a /b\nVOLUME [\"/c\"]\n"
                "USER nobody:nogroup\nWORKDIR /w d\nSTOPSIGNAL SIGKILL\nMAINTAINER me <me@x>\n"
                "ONBUILD RUN echo child\n"
                "ONBUILD COPY <<EOF /f\nbody\nEOF\n"
                "COPY <<-A <<B /dst/\n\tx\nA\n$y\nB\n"
                "FROM scratch\n");
        const DockerfileInstruction *i;

        assert_int_equal(df->n_meta_args, 2);
        assert_int_equal(df->n_stages, 2);
        assert_string_equal(df->stages[0].name, "builder");
        assert_null(df->stages[1].name);
        i = df->stages[0].from;
        assert_string_equal(i->base, "${BASE}:${TAG:-latest}");
        i = nth(df, 3);
        assert_int_equal(i->n_kvs, 3);
        assert_string_equal(i->kvs[1].key, "B");
        assert_string_equal(i->kvs[1].value, "\"two words\"");
        i = nth(df, 4);
        assert_int_equal(i->n_kvs, 1);
        assert_true(i->kvs[0].legacy);
        assert_string_equal(i->kvs[0].value, "a value  with spaces");
        i = nth(df, 5);
        assert_string_equal(i->kvs[1].key, "\"c d\"");
        i = nth(df, 6);
        assert_int_equal(i->n_kvs, 3);
        assert_null(i->kvs[0].value);
        assert_string_equal(i->kvs[1].value, "2");
        assert_string_equal(i->kvs[2].value, "");
        i = nth(df, 7);
        assert_string_equal(i->args[0], "443");
        assert_string_equal(i->args[2], "8080/tcp");
        i = nth(df, 8);
        assert_string_equal(i->from, "0");
        assert_string_equal(i->chown, "1:1");
        assert_string_equal(i->chmod, "644");
        assert_true(i->link);
        assert_int_equal(strv_length(i->excludes), 2);
        assert_int_equal(strv_length(i->sources), 2);
        assert_string_equal(i->dest, "/dst/");
        i = nth(df, 9);
        assert_string_equal(i->checksum, "sha256:abc");
        assert_int_equal(i->keep_git_dir, 0);
        assert_int_equal(i->unpack, 1);
        i = nth(df, 10);
        assert_int_equal(i->n_mounts, 2);
        assert_int_equal(i->mounts[0]->type, DOCKERFILE_MOUNT_CACHE);
        assert_string_equal(i->mounts[0]->target, "/root/.cache");
        assert_string_equal(i->mounts[0]->id, "c1");
        assert_string_equal(i->mounts[0]->sharing, "locked");
        assert_false(i->mounts[0]->readonly);
        assert_int_equal(i->mounts[1]->size, 1024 * 1024);
        assert_string_equal(i->network, "none");
        assert_false(i->json);
        assert_string_equal(i->cmdline[0], "echo hi");
        i = nth(df, 11);
        assert_true(i->json);
        assert_int_equal(strv_length(i->cmdline), 2);
        i = nth(df, 12);
        assert_false(i->json); /* invalid JSON: the shell form, as Docker */
        assert_string_equal(i->cmdline[0], "[\"echo\", 'not json']");
        assert_null(nth(df, 14)->cmdline); /* ENTRYPOINT [] */
        i = nth(df, 15);
        assert_string_equal(i->health->test[0], "CMD-SHELL");
        assert_string_equal(i->health->test[1], "curl -f x || exit 1");
        assert_int_equal(i->health->interval_ns, 90000000000LL);
        assert_int_equal(i->health->timeout_ns, 500000000LL);
        assert_int_equal(i->health->start_interval_ns, 1500000000LL);
        assert_int_equal(i->health->retries, 3);
        assert_string_equal(nth(df, 16)->health->test[0], "NONE");
        assert_true(nth(df, 17)->json);
        assert_int_equal(strv_length(nth(df, 18)->args), 2);
        assert_string_equal(nth(df, 21)->value, "/w d");
        i = nth(df, 24);
        assert_string_equal(i->onbuild_expression, "RUN echo child");
        assert_int_equal(i->trigger->kind, DOCKERFILE_RUN);
        i = nth(df, 25);
        assert_string_equal(i->onbuild_expression, "COPY <<EOF /f\nbody\nEOF");
        i = nth(df, 26);
        assert_int_equal(i->n_inline_sources, 2);
        assert_string_equal(i->inline_sources[0].content, "x\n");
        assert_string_equal(i->inline_sources[1].content, "$y\n");
        assert_int_equal(strv_length(i->sources), 0);
}

static void test_mount_expand(void **state)
{
        _cleanup_(dockerfile_mount_freep) DockerfileMount *m = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(dockerfile_freep) Dockerfile *df = parse_ok(
                "FROM busybox\nRUN --mount=type=$T,target=/x true\n");

        /* a value holding `$` is left for the dispatch */
        assert_int_equal(df->all[1]->n_mounts, 1);
        assert_int_equal(dockerfile_mount_parse("type=secret,id=tok,env=TOKEN,required", NULL, NULL, &m, &err), 0);
        assert_int_equal(m->type, DOCKERFILE_MOUNT_SECRET);
        assert_true(m->required);
        assert_true(m->readonly);
        assert_string_equal(m->env, "TOKEN");
}


static BuildPlan *plan_ok(const Dockerfile *df, const BuildPlanOptions *o)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        BuildPlan *p = NULL;

        if (build_plan_new(df, o, &p, NULL, &err) < 0)
                fail_msg("plan: %s", err->msg);
        return p;
}

static void test_plan(void **state)
{
        _cleanup_(dockerfile_freep) Dockerfile *df = parse_ok(
                "ARG BASE=busybox\nARG TAG=1\nARG P=${BASE}:${TAG}\n"
                "FROM $P AS Base\nONBUILD COPY --from=tools /t /t\n"
                "FROM busybox AS tools\n"
                "FROM base AS app\nCOPY --from=1 /x /x\nRUN --mount=type=bind,from=alpine,target=/a true\n"
                "FROM busybox AS unused\n"
                "FROM scratch\nCOPY --from=APP / /\n");
        char *args[] = { "TAG=2", "http_proxy=x", "NOPE=1", NULL };
        BuildPlanOptions o = { .build_args = args, .build_platform = "linux/amd64", .target_platform = "linux/arm/v7" };
        _cleanup_(build_plan_freep) BuildPlan *p = plan_ok(df, &o);
        BuildPlanOptions t = { .target = "TOOLS" };
        _cleanup_(build_plan_freep) BuildPlan *q = plan_ok(df, &t);

        assert_string_equal(p->stages[0].base, "busybox:2");
        assert_int_equal(p->stages[2].base_stage, 0);
        assert_true(p->stages[4].scratch);
        assert_int_equal(p->target, 4);
        /* base's ONBUILD COPY --from=tools runs in app: app needs tools */
        assert_int_equal(p->n_order, 4);
        assert_int_equal(p->order[0], 0);
        assert_int_equal(p->order[1], 1);
        assert_int_equal(p->order[2], 2);
        assert_int_equal(p->order[3], 4);
        assert_false(p->stages[3].needed);
        assert_string_equal(p->stages[2].images[0], "alpine");
        assert_string_equal(build_env_strv_lookup_for_test(p->global_args, "TARGETPLATFORM"), "linux/arm/v7");
        assert_string_equal(build_env_strv_lookup_for_test(p->global_args, "TARGETVARIANT"), "v7");
        assert_string_equal(build_env_strv_lookup_for_test(p->global_args, "BUILDARCH"), "amd64");
        assert_string_equal(build_env_strv_lookup_for_test(p->global_args, "P"), "busybox:2");
        assert_int_equal(strv_length(p->unused_build_args), 1);
        assert_string_equal(p->unused_build_args[0], "NOPE");
        assert_int_equal(q->target, 1);
        assert_int_equal(q->n_order, 1);
        assert_string_equal(p->stages[3].display_name, "unused");
        assert_string_equal(p->stages[4].display_name, "stage-4");
}

static void expect_plan_error(const char *text, const char *target, const char *msg, unsigned line)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(dockerfile_freep) Dockerfile *df = parse_ok(text);
        BuildPlanOptions o = { .target = target };
        BuildPlan *p = NULL;
        unsigned got = 99;

        assert_int_equal(build_plan_new(df, &o, &p, &got, &err), -EINVAL);
        assert_null(p);
        if (!streq(err->msg, msg))
                fail_msg("expected \"%s\", got \"%s\"", msg, err->msg);
        assert_int_equal(got, line);
}

static void test_plan_errors(void **state)
{
        expect_plan_error("FROM busybox AS a\nFROM busybox\n", "b", "target stage \"b\" could not be found (did you mean a?)", 0);
        expect_plan_error("FROM busybox AS build\n", "nothing", "target stage \"nothing\" could not be found", 0);
        expect_plan_error("ARG X\nFROM $X\n", NULL, "base name ($X) should not be blank", 2);
        expect_plan_error("FROM ${X\n", NULL, "failed to process \"${X\": unsupported modifier (\xEF\xBF\xBD) in substitution", 1);
        expect_plan_error("FROM busybox\nCOPY --from=5 a b\n", NULL, "invalid stage index 5", 2);
        expect_plan_error("FROM busybox\nCOPY --from=-1 a b\n", NULL, "invalid stage index -1", 2);
        expect_plan_error("FROM busybox\nARG S=x\nCOPY --from=$S a b\n", NULL,
                          "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround", 3);
        expect_plan_error("FROM busybox AS a\nCOPY --from=b x y\nFROM busybox AS b\nCOPY --from=a x y\n", NULL,
                          "circular dependency detected on stage: a", 1);
        expect_plan_error("FROM busybox AS a\nCOPY --from=1 x y\nFROM busybox AS b\n", "a",
                          "cannot copy from stage \"b\", it needs to be defined before current stage \"a\"", 1);
        expect_plan_error("FROM --platform=$NONE busybox\n", NULL, "empty platform value from expression $NONE", 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_buildkit_testfiles),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_heredocs),
                cmocka_unit_test(test_heredoc_words),
                cmocka_unit_test(test_lines_and_warnings),
                cmocka_unit_test(test_directives),
                cmocka_unit_test(test_instructions),
                cmocka_unit_test(test_mount_expand),
                cmocka_unit_test(test_plan),
                cmocka_unit_test(test_plan_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
